// Package mpc implements semi-honest secure multi-party computation over
// Shamir secret sharing among n parties, any t of which may collude, with
// n >= 2t+1 (Ben-Or, Goldwasser and Wigderson, STOC 1988; the resharing of
// Gennaro, Rabin and Rabin, PODC 1998).
//
// A [Party] holds shares of degree t, one per party, at x coordinates 1..n.
// Every operation works on vectors: one call multiplies, opens or compares
// whole batches, and each communication round sends at most one message to
// each peer. Rounds equal the multiplicative depth of what is computed.
//
// Entry points: [New] sets a party up over a [Conn] (pairwise PRSS keys are
// agreed in one round). Then [Party.Input] and [Party.Deal] share inputs,
// [Party.Mul] and [Party.InnerProducts] multiply, [Party.Open] reveals,
// [Party.PRSS] and [Party.PRZS] give random and zero sharings without
// communication, [Party.RandomBits], [Party.LessThan], [Party.Equal] and
// [Party.BitDecompose] work on bounded integers in prime fields and on bits
// in GF(2^8), [Party.RandomKey] deals a key nobody knows, and [EvalCircuit]
// runs a Bristol Fashion circuit over shares in GF(2^8).
//
// Warning: the protocols are secure against semi-honest ("honest but
// curious") parties only. A party that deviates can change results; a
// tampered message is detected only when it makes opened shares inconsistent.
// Comparisons in prime fields mask with statistical security kappa: the
// masked value must fit the field, so k + kappa + 2 <= bits(p) (in GF(2^61-1),
// 32-bit comparisons get kappa = 27).
package mpc
