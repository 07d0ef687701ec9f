// Package seir implements SEIR epidemic models on contact networks: each user
// is a node, each contact an edge.
//
// Four models are provided, from the coarsest to the most detailed:
//
//   - [MeanField]: the well-mixed SEIR ordinary differential equations
//     (Kermack and McKendrick 1927, with a latent class as in Anderson and May,
//     "Infectious Diseases of Humans", 1991).
//   - [Pairwise]: the homogeneous pairwise approximation on a network of mean
//     degree n, with the triple closure [ASB] = kappa [AS][SB]/[S]
//     (Keeling, "The effects of local spatial structure on epidemiological
//     invasions", Proc. R. Soc. B 266, 1999; Kiss, Miller and Simon,
//     "Mathematics of Epidemics on Networks", Springer 2017, chapter 4).
//   - [PairBased]: the node-level pair-based model on an explicit graph with
//     per-node infectiousness, susceptibility and rates, closed at the level
//     of triples <A_i S_j B_k> = <A_i S_j><S_j B_k>/<S_j>
//     (Sharkey, "Deterministic epidemic models on contact networks:
//     correlations and unbiological terms", Theor. Popul. Biol. 79, 2011;
//     Sharkey et al., "Exact equivalence of the pair-based model and the
//     individual-based model of SIR epidemics on tree graphs",
//     J. Math. Biol. 70, 2015).
//   - [Simulation]: the exact stochastic Markovian SEIR process on a graph,
//     simulated event by event with a priority queue (the "fast SIR"
//     algorithm of Kiss, Miller and Simon 2017, appendix A.1, extended with a
//     latent class), and [RunEnsemble] for many independent runs in parallel.
//
// The deterministic models are integrated with the Dormand-Prince 5(4)
// embedded Runge-Kutta pair with error control and its fourth-order dense
// output (Dormand and Prince 1980; Hairer, Norsett and Wanner, "Solving
// Ordinary Differential Equations I", section II.6).
//
// Graphs are [Graph] values in compressed sparse row form. They are read from
// edge-list CSV files ([ReadEdges]) or generated ([RandomRegular],
// [ErdosRenyi], [BarabasiAlbert], [ConfigurationModel]). Per-node parameters
// are [NodeParams], read with [ReadParams]. Every model returns a [Curve] of
// expected counts on an integer-day grid, written as CSV ([Curve.WriteCSV]),
// JSON ([CurveJSON]) or a plot ([Curve.Plot]).
//
// Transmission from an infectious node j to a susceptible neighbour i happens
// at rate tau*a_j*b_i, where a is infectiousness and b susceptibility; an
// exposed node i becomes infectious at rate sigma_i and an infectious node
// recovers at rate gamma_i.
//
// Warning: these are models, not measurements. Their output is only as good
// as the contact graph and the rates fed to them, and the approximations
// (mean-field, pairwise closure) are exact only on the graphs named in each
// type's documentation.
package seir
