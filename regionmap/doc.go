// Package regionmap is SafeTrace's k-anonymous region risk map, the
// whitepaper's "macroscopic trends" from GPS history, computed by the
// parties in MPC (docs/regionmap.md).
//
// Each participant uploads, for one UTC day, Shamir shares over
// GF(2^61-1) of one presence bit per region of the manifest (a region is a
// geohash prefix) and, only together with an authority code, of a
// verified-positive bit. The parties
//
//  1. agree on the uploads every party holds ([Agree]);
//  2. check that every shared value is a bit and every sharing has degree t,
//     with public random coefficients drawn after the inputs were fixed: an
//     upload that fails is left out, and only pass or fail is revealed;
//  3. compute count_r = sum of presence_r * positive over the accepted
//     uploads (one round of inner products);
//  4. compare every count with k in MPC, open the comparison bits, and open
//     only the counts of regions with count >= k ([Compute]).
//
// Entry points: [Split] (client side, one participant-day to n share
// vectors), [Compute] (one party's side of the MPC, over an mpc.Party),
// [Oracle] (the same in the clear, for tests and simulations), and
// [Upload] and [Fetch] (through a client.Client and the relays).
//
// Warning: the released map reveals, besides the counts >= k, which regions
// are below k, the number of uploads, how many were rejected, and to the
// parties which uploads carry an authority code. Parties are semi-honest:
// a party that deviates can change the result. Clients may be malicious:
// a non-bit or inconsistent upload is left out, and an upload without a
// code never counts as positive.
package regionmap
