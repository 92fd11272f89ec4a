package selfenc

import (
	"bytes"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/andybalholm/brotli"
	"github.com/zeebo/blake3"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/fanbench/fanbench/harness/xorname"
)

// Key material sizes (self_encryption 0.35 src/cipher.rs).
const (
	// KeySize is the ChaCha20-Poly1305 key length in bytes.
	KeySize = chacha20poly1305.KeySize
	// NonceSize is the ChaCha20-Poly1305 nonce length in bytes.
	NonceSize = chacha20poly1305.NonceSize
	// PadSize is the length in bytes of the XOR pad: what is left of three
	// hashes' worth of key material after the key and nonce,
	// 3·32 − 32 − 12 = 52.
	PadSize = 3*xorname.Size - KeySize - NonceSize
	// TagSize is the Poly1305 tag ChaCha20-Poly1305 appends, in bytes.
	TagSize = chacha20poly1305.Overhead
	// KDFContext is the BLAKE3 derive_key context string
	// (self_encryption 0.35 src/utils.rs get_pki).
	KDFContext = "self_encryption/chunk/v2"
)

// secrets is the per-chunk key material (get_pad_key_and_nonce).
type secrets struct {
	pad   [PadSize]byte
	key   [KeySize]byte
	nonce [NonceSize]byte
}

// deriveSecrets returns the secrets of chunk i of len(src) chunks at the
// given shrink level: BLAKE3 derive_key(KDFContext, src[i] ‖ src[n1] ‖
// src[n2] ‖ i as u64 LE ‖ level as u64 LE), 96 bytes split pad | key | nonce
// (self_encryption 0.35 src/utils.rs get_pki). len(src) must be ≥ 3.
func deriveSecrets(i int, src []xorname.Name, level int) secrets {
	n1, n2 := neighbours(i, len(src))
	var material [3*xorname.Size + 8 + 8]byte
	copy(material[0:32], src[i][:])
	copy(material[32:64], src[n1][:])
	copy(material[64:96], src[n2][:])
	binary.LittleEndian.PutUint64(material[96:104], uint64(i))
	binary.LittleEndian.PutUint64(material[104:112], uint64(level))
	var out [PadSize + KeySize + NonceSize]byte
	blake3.DeriveKey(KDFContext, material[:], out[:])
	var s secrets
	copy(s.pad[:], out[:PadSize])
	copy(s.key[:], out[PadSize:PadSize+KeySize])
	copy(s.nonce[:], out[PadSize+KeySize:])
	return s
}

// xorPad XORs b in place with pad repeated from b's first byte
// (self_encryption src/utils.rs xor). It works on a tile of whole pads so
// that crypto/subtle's wide XOR does the work.
func xorPad(b []byte, pad *[PadSize]byte) {
	var tile [PadSize * 64]byte
	for off := 0; off < len(tile); off += PadSize {
		copy(tile[off:], pad[:])
	}
	for len(b) > 0 {
		n := subtle.XORBytes(b, b, tile[:min(len(b), len(tile))])
		b = b[n:]
	}
}

// maxEncryptedLen bounds the encrypted size of an n-byte chunk, in bytes:
// brotli's worst case for incompressible input (n plus 4 bytes per 16 KiB
// uncompressed meta-block plus framing, BrotliEncoderMaxCompressedSize in
// brotli's encode.c) and the Poly1305 tag. Output buffers are sized by it so
// they never grow while a chunk is written.
func maxEncryptedLen(n int) int { return n + 4*(n>>14) + 8 + TagSize }

// sliceWriter appends everything written to b.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// sealer performs the chunk transform. It keeps one brotli encoder for
// reuse and is not safe for concurrent use: each worker owns one.
type sealer struct {
	bw *brotli.Writer
	sw sliceWriter
}

func newSealer() *sealer {
	s := &sealer{}
	s.bw = brotli.NewWriterOptions(&s.sw, brotli.WriterOptions{
		Quality: CompressionQuality,
		LGWin:   CompressionWindow,
	})
	return s
}

// seal appends the encrypted form of plain to dst[:0] and returns it:
// brotli, then ChaCha20-Poly1305 without associated data, then the XOR pad
// (self_encryption 0.35 src/encrypt.rs encrypt_chunk). When cap(dst) ≥
// maxEncryptedLen(len(plain)) the result shares dst's array.
func (s *sealer) seal(dst, plain []byte, sec *secrets) ([]byte, error) {
	s.sw.b = dst[:0]
	s.bw.Reset(&s.sw)
	if _, err := s.bw.Write(plain); err != nil {
		return nil, fmt.Errorf("compressing: %w", err)
	}
	if err := s.bw.Close(); err != nil {
		return nil, fmt.Errorf("compressing: %w", err)
	}
	compressed := s.sw.b
	s.sw.b = nil
	aead, err := chacha20poly1305.New(sec.key[:])
	if err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	out := aead.Seal(compressed[:0], sec.nonce[:], compressed, nil)
	xorPad(out, &sec.pad)
	return out, nil
}

// opener reverses the chunk transform. It keeps its buffers and brotli
// decoder for reuse and is not safe for concurrent use.
type opener struct {
	br    *brotli.Reader
	ct    []byte // copy of the encrypted chunk, decrypted in place
	plain []byte
}

var errChunkTooLong = errors.New("decompresses past its recorded size")

// open decrypts content, which it does not modify, and returns the
// plaintext, which must be exactly size bytes. The result is valid until
// the next call.
func (o *opener) open(content []byte, sec *secrets, size int64) ([]byte, error) {
	o.ct = append(o.ct[:0], content...)
	xorPad(o.ct, &sec.pad)
	aead, err := chacha20poly1305.New(sec.key[:])
	if err != nil {
		return nil, fmt.Errorf("decrypting: %w", err)
	}
	compressed, err := aead.Open(o.ct[:0], sec.nonce[:], o.ct, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypting: %w", err)
	}
	src := bytes.NewReader(compressed)
	if o.br == nil {
		o.br = brotli.NewReader(src)
	} else if err := o.br.Reset(src); err != nil {
		return nil, fmt.Errorf("decompressing: %w", err)
	}
	if int64(cap(o.plain)) < size {
		o.plain = make([]byte, size)
	}
	o.plain = o.plain[:size]
	if _, err := io.ReadFull(o.br, o.plain); err != nil {
		return nil, fmt.Errorf("decompressing %d bytes: %w", size, err)
	}
	// Anything beyond size means the map and the chunk disagree; reading a
	// single byte more bounds the work a hostile chunk can cause.
	var one [1]byte
	switch _, err := io.ReadFull(o.br, one[:]); err {
	case io.EOF:
		return o.plain, nil
	case nil:
		return nil, fmt.Errorf("decompressing %d bytes: %w", size, errChunkTooLong)
	default:
		return nil, fmt.Errorf("decompressing %d bytes: %w", size, err)
	}
}
