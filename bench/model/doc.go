// Package model holds the go test benchmarks of the uploader model itself,
// run in this process (not through the isolated runner). They live in
// _test.go files; run them with
//
//	go test -run '^$' -bench . ./bench/model
//	go test -run '^$' -bench . -benchtime 1x ./bench/model -size 1073741824
//
// Flags (after the package): -size (source bytes, default 64 MiB),
// -limiter (UploadPhase's store policy: aimd, warm:N, fixed:N or budget;
// default warm:64) and -workers (encryption workers, default GOMAXPROCS).
//
// The phase benchmarks (model_test.go) time the uploader model's two
// phases and report MB/s of source bytes:
//   - EncryptPhase: the encryption phase from the seeded source into a
//     private spill on disk, with no cache;
//   - RawTransform: the brotli + ChaCha20-Poly1305 + BLAKE3 work alone over
//     the same bytes held in memory, with the same workers, as the baseline
//     EncryptPhase is judged against;
//   - UploadPhase/mode=…: the upload phase from a warm spill cache against
//     an in-process testnet, per buffer strategy.
//
// Overhead (measure_test.go) runs the same upload with measurement on and
// off, in this process, to show what measuring costs.
package model
