package wire

import (
	"fmt"
	"math"
	"testing"

	"github.com/fanbench/fanbench/harness/buffer"
)

// The expected figures below are worked out by hand from the growth rule
// (new cap = max(2×cap, len+additional, 8); a push grows only when
// len == cap; an extend of n grows when cap-len < n), never taken from the
// code's output. Notation: "ext n" is one extend_from_slice of n bytes,
// "push n" is n single-byte pushes, L is the length after the step.
//
// Common header for RequestID 1 (any id below 2^56 gives the same caps):
//
//	ext 1  (request_id)  cap 0 → max(0, 1, 8) = 8      alloc 8     L 1
//	ext 1  (variant 0)   fits                                      L 2
//	push 32 (address)    8 → 16 → 32 → 64              alloc 120   L 34
//	ext 4  (varint of a content length in [2^21, 2^28)) fits       L 38
//
// So a ~4 MB content starts at L 38, cap 64, alloc 120.

func TestPutGrowth(t *testing.T) {
	const (
		content = 4_190_224 // an encrypted max-size chunk, as in uploader.md §8
		single  = 55_000    // single-node proof, about 55 KB (uploader.md §5)
		merkle  = 130_000   // merkle proof, about 130 KB
	)
	tests := []struct {
		name      string
		requestID uint64
		content   int
		proof     int // -1 for None
		kind      ContentKind
		want      growth
	}{
		{
			// push 4,190,224: L 4,190,262; cap doubles 64 → 128 → … → 2^22
			// = 4,194,304 (2^21 = 2,097,152 is too small); allocs 128+…+2^22
			// = 2^23-128. push 1 (Some tag): L 4,190,263. ext 3 (varint of
			// 55,000, in [2^14, 2^21)): L 4,190,266, fits. push 55,000: L
			// 4,245,266 > 2^22 → cap 2^23 = 8,388,608.
			// alloc = 120 + (2^23-128) + 2^23 = 2^24 - 8 = 16,777,208.
			name: "vec/55KB", requestID: 1, content: content, proof: single, kind: ContentVec,
			want: growth{Len: 4_245_266, Cap: 8_388_608, Alloc: 16_777_208},
		},
		{
			// ext 4,190,224 at L 38, cap 64: 26 < n → cap = max(128,
			// 4,190,262, 8) = 4,190,262, exactly full. push 1 (Some tag):
			// len == cap → cap = 2×4,190,262 = 8,380,524. The rest (L
			// 4,245,266) fits. alloc = 120 + 4,190,262 + 8,380,524 =
			// 12,570,906.
			name: "bytes/55KB", requestID: 1, content: content, proof: single, kind: ContentBytes,
			want: growth{Len: 4_245_266, Cap: 8_380_524, Alloc: 12_570_906},
		},
		{
			// As vec/55KB; varint of 130,000 is 3 bytes too, L = 4,190,266 +
			// 130,000 = 4,320,266 ≤ 2^23.
			name: "vec/130KB", requestID: 1, content: content, proof: merkle, kind: ContentVec,
			want: growth{Len: 4_320_266, Cap: 8_388_608, Alloc: 16_777_208},
		},
		{
			// As bytes/55KB; 4,320,266 ≤ 8,380,524.
			name: "bytes/130KB", requestID: 1, content: content, proof: merkle, kind: ContentBytes,
			want: growth{Len: 4_320_266, Cap: 8_380_524, Alloc: 12_570_906},
		},
		{
			// No proof: push 1 (None tag) at L 4,190,262 < 2^22: L 4,190,263,
			// cap stays 2^22 = 4,194,304. alloc = 8+16+…+2^22 = 2^23-8.
			name: "vec/none", requestID: 1, content: content, proof: -1, kind: ContentVec,
			want: growth{Len: 4_190_263, Cap: 4_194_304, Alloc: 8_388_600},
		},
		{
			// The None tag alone finds the Vec exactly full after the extend
			// and doubles it: same cap and alloc as bytes/55KB.
			name: "bytes/none", requestID: 1, content: content, proof: -1, kind: ContentBytes,
			want: growth{Len: 4_190_263, Cap: 8_380_524, Alloc: 12_570_906},
		},
		{
			// Content of MaxContentSize = 4,194,304: ext 4 at L 34 → L 38; push
			// 4,194,304 → L 4,194,342 > 2^22 → cap 2^23. Then +1 +3 +55,000
			// = 4,249,346. alloc = 2^24-8.
			name: "vec/max-chunk", requestID: 1, content: MaxContentSize, proof: single, kind: ContentVec,
			want: growth{Len: 4_249_346, Cap: 8_388_608, Alloc: 16_777_208},
		},
		{
			// ext 4,194,304 at L 38 → cap 4,194,342; Some tag → 8,388,684.
			// alloc = 120 + 4,194,342 + 8,388,684 = 12,583,146.
			name: "bytes/max-chunk", requestID: 1, content: MaxContentSize, proof: single, kind: ContentBytes,
			want: growth{Len: 4_249_346, Cap: 8_388_684, Alloc: 12_583_146},
		},
		{
			// A 10-byte request id breaks the power-of-two chain:
			// ext 10 → cap max(0, 10, 8) = 10 (alloc 10); ext 1 at L 10 →
			// cap max(20, 11, 8) = 20 (alloc 30), L 11; push 32 → 40 → 80
			// (alloc 150), L 43; ext 4 → L 47. push 4,190,224 → L 4,190,271;
			// 80×2^15 = 2,621,440 is short, 80×2^16 = 5,242,880 holds it:
			// allocs 160+…+5,242,880 = 80×(2^17-2) = 10,485,600. Tag, ext 3
			// and 55,000 pushes → L 4,245,275, fits. alloc = 10,485,750.
			name: "vec/10-byte-id", requestID: math.MaxUint64, content: content, proof: single, kind: ContentVec,
			want: growth{Len: 4_245_275, Cap: 5_242_880, Alloc: 10_485_750},
		},
		{
			// Same header (L 47, cap 80, alloc 150); ext 4,190,224 → cap
			// 4,190,271; tag → 8,380,542. alloc = 150 + 4,190,271 +
			// 8,380,542 = 12,570,963.
			name: "bytes/10-byte-id", requestID: math.MaxUint64, content: content, proof: single, kind: ContentBytes,
			want: growth{Len: 4_245_275, Cap: 8_380_542, Alloc: 12_570_963},
		},
		{
			// Empty content, request id 0: header L 34 cap 64 alloc 120;
			// ext 1 (length 0) → L 35; no content; None tag → L 36.
			name: "vec/empty", requestID: 0, content: 0, proof: -1, kind: ContentVec,
			want: growth{Len: 36, Cap: 64, Alloc: 120},
		},
		{
			// An extend of nothing reserves nothing: as vec/empty.
			name: "bytes/empty", requestID: 0, content: 0, proof: -1, kind: ContentBytes,
			want: growth{Len: 36, Cap: 64, Alloc: 120},
		},
		{
			// 100 bytes: header with ext 1 for the length → L 35, cap 64;
			// push 100 → L 135 via 128 and 256 (alloc 504); tag → L 136.
			name: "vec/100", requestID: 1, content: 100, proof: -1, kind: ContentVec,
			want: growth{Len: 136, Cap: 256, Alloc: 504},
		},
		{
			// ext 100 at L 35, cap 64: 29 < 100 → cap max(128, 135, 8) =
			// 135 (alloc 255); tag at L 135 == cap → 270 (alloc 525).
			name: "bytes/100", requestID: 1, content: 100, proof: -1, kind: ContentBytes,
			want: growth{Len: 136, Cap: 270, Alloc: 525},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Put{RequestID: tt.requestID, Content: make([]byte, tt.content)}
			if tt.proof >= 0 {
				p.Proof = make([]byte, tt.proof)
			}
			got := summary(p.Growth(tt.kind))
			if got != tt.want {
				t.Errorf("Growth(%v) = %+v, want %+v", tt.kind, got, tt.want)
			}
			if got.Len != p.Len() {
				t.Errorf("Growth.Len = %d, Len() = %d", got.Len, p.Len())
			}
		})
	}
}

// TestEnvelopeGrowth checks the signable and WireMessage Vecs. Both start
// with the 21-byte protocol string:
//
//	ext 1  (length 21)   cap 8                         alloc 8    L 1
//	ext 21               7 < 21 → max(16, 22, 8) = 22  alloc 30   L 22
//	ext 4  (length of a payload in [2^21, 2^28))
//	                     0 < 4 → max(44, 26, 8) = 44   alloc 74   L 26
//
// and then double from 44, not from a power of two.
func TestEnvelopeGrowth(t *testing.T) {
	e := Envelope{
		Protocol:  ProtocolID,
		Timestamp: 1_780_000_000, // 2026, a 5-byte varint (2^28 ≤ t < 2^35)
		UserAgent: ClientUserAgent,
		PublicKey: make([]byte, PublicKeySize),
		Signature: make([]byte, SignatureSize),
	}
	tests := []struct {
		name     string
		dataLen  int
		wire     growth
		signable growth
	}{
		{
			// Payload = the vec/55KB Put, 4,245,266 bytes. push it at L 26:
			// L 4,245,292; 44×2^16 = 2,883,584 is short, 44×2^17 =
			// 5,767,168 holds it; allocs 88+…+5,767,168, so alloc = 30 +
			// 44×(2^18-1) = 30 + 11,534,292 = 11,534,322.
			// Signable then adds from (1+64), timestamp (5), user agent
			// (1+13): L 4,245,376. The wire message adds the key (2+1952)
			// and signature (2+3309): L 4,250,641. Both fit.
			name: "55KB-proof", dataLen: 4_245_266,
			wire:     growth{Len: 4_250_641, Cap: 5_767_168, Alloc: 11_534_322},
			signable: growth{Len: 4_245_376, Cap: 5_767_168, Alloc: 11_534_322},
		},
		{
			// Payload = the vec/130KB Put, 4,320,266 bytes: L after data
			// 4,320,292, still under 5,767,168.
			name: "130KB-proof", dataLen: 4_320_266,
			wire:     growth{Len: 4_325_641, Cap: 5_767_168, Alloc: 11_534_322},
			signable: growth{Len: 4_320_376, Cap: 5_767_168, Alloc: 11_534_322},
		},
		{
			// Empty payload: ext 1 (length 0) at L 22 → cap 44 (alloc 74),
			// L 23; from: ext 1 → L 24, ext 64: 20 < 64 → cap max(88, 88) =
			// 88 (alloc 162), L 88; timestamp ext 5 → cap 176 (alloc 338),
			// L 93; user agent ext 1, ext 13 → L 107 (signable ends here).
			// Key: ext 2 → L 109, push 1952 → 352, 704, 1408, 2816 (alloc
			// 5,618), L 2,061. Signature: ext 2 → L 2,063, push 3309 → L
			// 5,372 → cap 5,632 (alloc 11,250).
			name: "empty", dataLen: 0,
			wire:     growth{Len: 5_372, Cap: 5_632, Alloc: 11_250},
			signable: growth{Len: 107, Cap: 176, Alloc: 338},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary(e.WireGrowth(tt.dataLen)); got != tt.wire {
				t.Errorf("WireGrowth(%d) = %+v, want %+v", tt.dataLen, got, tt.wire)
			}
			if got := summary(e.SignableGrowth(tt.dataLen)); got != tt.signable {
				t.Errorf("SignableGrowth(%d) = %+v, want %+v", tt.dataLen, got, tt.signable)
			}
			if got := e.Len(tt.dataLen); got != tt.wire.Len {
				t.Errorf("Len(%d) = %d, want %d", tt.dataLen, got, tt.wire.Len)
			}
		})
	}
}

// TestVecModel checks the growth primitives against small cases worked out
// by hand.
func TestVecModel(t *testing.T) {
	tests := []struct {
		name string
		ops  func(*vecModel)
		want growth
	}{
		{"nothing", func(v *vecModel) {}, growth{}},
		{"extend 0 allocates nothing", func(v *vecModel) { v.extend(0) }, growth{}},
		{"push 0 allocates nothing", func(v *vecModel) { v.push(0) }, growth{}},
		// First push: max(0, 1, 8) = 8.
		{"push 1", func(v *vecModel) { v.push(1) }, growth{Len: 1, Cap: 8, Alloc: 8}},
		// Exactly 8 pushes fill the first allocation; the 9th doubles.
		{"push 8", func(v *vecModel) { v.push(8) }, growth{Len: 8, Cap: 8, Alloc: 8}},
		{"push 9", func(v *vecModel) { v.push(9) }, growth{Len: 9, Cap: 16, Alloc: 24}},
		// A large first extend reserves exactly: max(0, 100, 8) = 100.
		{"extend 100", func(v *vecModel) { v.extend(100) }, growth{Len: 100, Cap: 100, Alloc: 100}},
		// extend 5 then 5: cap 8, then 3 < 5 → max(16, 10, 8) = 16.
		{"extend 5+5", func(v *vecModel) { v.extend(5); v.extend(5) }, growth{Len: 10, Cap: 16, Alloc: 24}},
		// push 1000: 8, 16, …, 1024; alloc 2048-8 = 2040.
		{"push 1000", func(v *vecModel) { v.push(1000) }, growth{Len: 1000, Cap: 1024, Alloc: 2040}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v vecModel
			tt.ops(&v)
			if got := summary(v.growth()); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestGrowthPanicsOnUnknownKind(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Growth(ContentKind(7)) did not panic")
		}
	}()
	p := Put{}
	p.Growth(ContentKind(7))
}

// growth is a Vec's outcome: its final length and capacity and the bytes
// allocated on the way.
type growth struct {
	Len, Cap int
	Alloc    int64
}

// summary checks g's steps (capacities rising, each holding at most the
// previous capacity) and returns its outcome.
func summary(g buffer.Growth) growth {
	prev := 0
	for i, st := range g.Steps {
		if st.Cap <= prev || st.Len > prev || (i == 0) != (st.Len == 0 && prev == 0) {
			panic(fmt.Sprintf("bad steps %v", g.Steps))
		}
		prev = st.Cap
	}
	return growth{Len: g.Len, Cap: g.Cap(), Alloc: g.Alloc()}
}

func TestGrowthSteps(t *testing.T) {
	// 1000 pushes: 8, then doubling, each growth when the Vec is full.
	var v vecModel
	v.push(1000)
	want := []buffer.Step{{Cap: 8}}
	for c := 16; c <= 1024; c *= 2 {
		want = append(want, buffer.Step{Cap: c, Len: c / 2})
	}
	if got := v.growth(); fmt.Sprint(got.Steps) != fmt.Sprint(want) || got.Len != 1000 {
		t.Fatalf("steps %v len %d, want %v and 1000", got.Steps, got.Len, want)
	}
}

// TestGrowthAllocatesOnce checks that each growth model costs one Go
// allocation, its steps: the models run for every send of an upload being
// measured, and what the harness allocates then is noise in its figures.
func TestGrowthAllocatesOnce(t *testing.T) {
	e := Envelope{Protocol: ProtocolID, Timestamp: 1_780_000_000, UserAgent: ClientUserAgent,
		PublicKey: make([]byte, PublicKeySize), Signature: make([]byte, SignatureSize)}
	p := Put{RequestID: 1, Content: make([]byte, 4_190_224), Proof: make([]byte, 55_000)}
	for _, tc := range []struct {
		name string
		f    func() buffer.Growth
	}{
		{"WireGrowth", func() buffer.Growth { return e.WireGrowth(4_245_266) }},
		{"SignableGrowth", func() buffer.Growth { return e.SignableGrowth(4_245_266) }},
		{"Put.Growth", func() buffer.Growth { return p.Growth(ContentVec) }},
	} {
		if n := testing.AllocsPerRun(100, func() { tc.f() }); n != 1 {
			t.Errorf("%s: %v allocations, want 1", tc.name, n)
		}
	}
}
