package buffer

// Each site allocates through its own function so that a heap profile
// (go tool pprof -top) names the site in its leaf frame: the flat view of a
// copy-per-peer peak shows buffer.allocPeerCopy and buffer.allocEncode, not
// one shared make. They must not be inlined, or the frames would vanish.

func allocAt(s Site, n, c int) []byte {
	switch s {
	case Deferred:
		return allocDeferred(n, c)
	case Encrypt:
		return allocEncrypt(n, c)
	case SpillRead:
		return allocChunk(n, c)
	case PeerCopy:
		return allocPeerCopy(n, c)
	case Encode:
		return allocEncode(n, c)
	case Proof:
		return allocProof(n, c)
	case ProofCopy:
		return allocProofCopy(n, c)
	case RetryClone:
		return allocRetryClone(n, c)
	case ChannelClone:
		return allocChannelClone(n, c)
	case Signable:
		return allocSignable(n, c)
	case WireFrame:
		return allocWireFrame(n, c)
	default:
		return allocPeerStore(n, c)
	}
}

//go:noinline
func allocDeferred(n, c int) []byte { return make([]byte, n, c) }

//go:noinline
func allocEncrypt(n, c int) []byte { return make([]byte, n, c) }

//go:noinline
func allocChunk(n, c int) []byte { return make([]byte, n, c) }

//go:noinline
func allocPeerCopy(n, c int) []byte { return make([]byte, n, c) }

//go:noinline
func allocEncode(n, c int) []byte { return make([]byte, n, c) }

//go:noinline
func allocProof(n, c int) []byte { return make([]byte, n, c) }

//go:noinline
func allocProofCopy(n, c int) []byte { return make([]byte, n, c) }

//go:noinline
func allocRetryClone(n, c int) []byte { return make([]byte, n, c) }

//go:noinline
func allocChannelClone(n, c int) []byte { return make([]byte, n, c) }

//go:noinline
func allocSignable(n, c int) []byte { return make([]byte, n, c) }

//go:noinline
func allocWireFrame(n, c int) []byte { return make([]byte, n, c) }

//go:noinline
func allocPeerStore(n, c int) []byte { return make([]byte, n, c) }
