// Package epoch runs SafeTrace's exposure computation among the party
// servers (design section 4.3): who overlapped with a person who tested
// positive, computed on Shamir-shared records so that no party learns where
// anyone was.
//
// Every record is a key point P = hash-to-group(kind, place, time bucket)
// shared over ristretto255 (random point coefficients), a weight shared in
// the scalar field (non-zero only in positive reports) and the minutes of the
// stay in its bucket, also shared. [Run] then
//
//  1. validates positive reports: their point and weight shares must lie on
//     degree-t polynomials (a random linear combination, masked by a random
//     sharing, is opened) and every weight must be in [0, max] (a range
//     check in MPC); a report failing either is left out;
//  2. draws a fresh epoch key K that no t parties know and, with
//     Params.NoiseEpsilon set, makes dummy groups of weight 0 from shared
//     values (a secret number of groups of each size 1..NoiseMaxGroup) so
//     that the group sizes seen in step 5 are differentially private per
//     key;
//  3. shuffles (point, weight) obliviously: for every t-coalition C, the t+1
//     lowest parties A outside C turn their shares into additive shares,
//     permute them with a permutation only A knows and reshare them to all,
//     so no t parties know the composed permutation;
//  4. opens the tags T = K*P (each party multiplies its shares, adds a
//     degree-2t sharing of the identity, and the sum of all is opened); tags
//     are deterministic within the epoch and unlinkable across epochs;
//  5. groups records by tag and subtracts each record's weight from its
//     group's sum: a local computation on shares;
//  6. undoes the shuffle on these counts;
//  7. multiplies counts by minutes, sums per user and day, and compares with
//     the threshold in MPC, leaving one shared bit per user and day that only
//     the user will reconstruct.
//
// Warning: the parties are assumed semi-honest and at most t of them may
// collude. The parties learn the number of records per user and day, the
// number of positive reports and which of them failed validation, and the
// multiset of tag group sizes, which is unlinkable to records or places and,
// with noise on, (NoiseEpsilon, NoiseDelta)-differentially private per key
// for groups of at most NoiseMaxGroup records (larger groups show their
// exact size). No result bit is ever opened to a party.
package epoch
