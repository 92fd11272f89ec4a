// Package bench holds the go test benchmarks of fanbench. They live in
// _test.go files; run them with
//
//	go test -run '^$' -bench . ./bench
//	go test -run '^$' -bench . ./bench -size 1073741824
//
// The model benchmarks (model_test.go) time the uploader model's two
// phases and report MB/s of source bytes:
//   - EncryptPhase: the encryption phase from the seeded source into a
//     private spill on disk, with no cache;
//   - RawTransform: the brotli + ChaCha20-Poly1305 + BLAKE3 work alone over
//     the same bytes held in memory, with the same workers, as the baseline
//     EncryptPhase is judged against;
//   - UploadPhase/mode=…: the upload phase from a warm spill cache against
//     an in-process testnet, per buffer strategy.
package bench
