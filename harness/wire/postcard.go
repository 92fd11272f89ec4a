package wire

import (
	"encoding/binary"

	"github.com/fanbench/fanbench/harness/buffer"
)

// minNonZeroCap is the smallest capacity RawVec allocates for one-byte
// elements (Rust library/alloc/src/raw_vec.rs, min_non_zero_cap: 8 when
// size_of::<T>() == 1).
const minNonZeroCap = 8

// vecModel follows a Rust Vec<u8> filled by postcard's AllocVec flavor
// (postcard src/ser/flavors.rs): try_push is Vec::push, try_extend is
// Vec::extend_from_slice. It tracks lengths only, never bytes.
type vecModel struct {
	len, cap int
	steps    []buffer.Step
}

// growSteps is room for the steps of a Vec doubled from 8 bytes to 128 MiB,
// more than any message holds, so that a model allocates its steps once:
// it runs for every send of an upload being measured.
const growSteps = 24

// grow is RawVec::grow_amortized(len, required-len) for one-byte elements.
func (v *vecModel) grow(required int) {
	v.cap = max(2*v.cap, required, minNonZeroCap)
	if v.steps == nil {
		v.steps = make([]buffer.Step, 0, growSteps)
	}
	v.steps = append(v.steps, buffer.Step{Cap: v.cap, Len: v.len})
}

// extend is Vec::extend_from_slice of n bytes: one reserve(n), so at most
// one reallocation, to at least len+n.
func (v *vecModel) extend(n int) {
	if v.cap-v.len < n {
		v.grow(v.len + n)
	}
	v.len += n
}

// push is n calls of Vec::push. Each push that finds len == cap doubles the
// capacity (grow_one); the loop runs once per doubling.
func (v *vecModel) push(n int) {
	for n > 0 {
		if v.len == v.cap {
			v.grow(v.len + 1)
		}
		k := min(n, v.cap-v.len)
		v.len += k
		n -= k
	}
}

// varint is postcard's try_push_varint_*: the encoding is built in a stack
// buffer and extended in one slice (postcard src/ser/serializer.rs).
func (v *vecModel) varint(x uint64) { v.extend(uvarintLen(x)) }

// str is serialize_str and serialize_bytes: length varint, then one extend.
func (v *vecModel) str(n int) {
	v.varint(uint64(n))
	v.extend(n)
}

// seq is a serde sequence of u8 (Vec<u8>, &[u8]): length varint, then one
// serialize_u8, that is one push, per element.
func (v *vecModel) seq(n int) {
	v.varint(uint64(n))
	v.push(n)
}

// growth returns the Vec the model describes: what postcard::to_stdvec
// returns, and each capacity it went through, for buffer.NewVec.
func (v *vecModel) growth() buffer.Growth { return buffer.Growth{Len: v.len, Steps: v.steps} }

// uvarintLen returns the length in bytes of x as a postcard varint, which is
// unsigned LEB128, the same encoding as binary.AppendUvarint.
func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// appendStr appends s as postcard writes a &str or a byte string: varint
// length, then the bytes.
func appendStr[T string | []byte](dst []byte, s T) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// strLen returns the encoded length of a string or byte sequence of n bytes.
func strLen(n int) int { return uvarintLen(uint64(n)) + n }
