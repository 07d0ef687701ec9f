// Package circuit parses and evaluates boolean circuits in the Bristol Fashion
// format, as specified on Nigel Smart's "'Bristol Fashion' MPC Circuits" page
// (https://nigelsmart.github.io/MPC-Circuits/) and used by the circuit
// collections of SCALE-MAMBA and MP-SPDZ.
//
// [Parse] and [ParseFile] read a circuit, validate it completely (every wire is
// written once, before it is read) and compute its multiplicative-depth
// layering, [Circuit.Layers], which is what an MPC evaluator should use: for
// each layer it runs the layer's linear gates (XOR, INV, EQ, EQW) locally, then
// all of the layer's AND products (AND gates and the pairs of MAND gates) in
// one batched multiplication, so the number of communication rounds equals the
// AND depth. [Circuit.EvalBits] is a plaintext reference evaluator that walks
// the layers exactly that way; [Circuit.EvalBatch64] evaluates 64 instances at
// once over bit-sliced words; [Circuit.EvalHex] is a convenience for
// known-answer tests. [Circuit.WriteTo] writes a circuit back in canonical
// form.
//
// Bit order: wire j of an input or output value is bit j, least significant
// first, of the value read as a big-endian integer. For AES-128 with key
// 000102...0f, wire 0 is the least significant bit of the last key byte, 0x0f.
// [ValueToBits] and [BitsToValue] convert between the two views.
//
// Warning: a circuit file is code. Parsing bounds memory by the file size and
// rejects malformed files with an error, but a valid circuit may still compute
// anything; load circuits only from the manifest the parties agreed on. The
// evaluators here are for plaintext testing: they are not constant time.
package circuit
