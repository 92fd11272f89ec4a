package upload

import (
	"context"

	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/uploader"
)

// Uploader is the model of ant-client's file uploader. It is safe to use
// for one upload at a time.
type Uploader struct {
	cfg Config
}

var _ uploader.Uploader = (*Uploader)(nil)

// The default uploader of the registry.
func init() {
	uploader.Register(uploader.Def{
		Name:    uploader.Default,
		Summary: "ant-client's file uploader (file_upload_with_progress): waves read from the spill, paid by the client's own wallet",
		New: func(s uploader.Settings) (uploader.Uploader, error) {
			cfg := DefaultConfig()
			cfg.Settings = s
			return New(cfg)
		},
	})
}

// New returns an uploader with the given settings.
func New(cfg Config) (*Uploader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Uploader{cfg: cfg}, nil
}

// Config returns the uploader's settings.
func (u *Uploader) Config() Config { return u.cfg }

// Encrypt runs the encryption phase (uploader.Encrypt) with the
// uploader's workers, spill directory and cache.
func (u *Uploader) Encrypt(ctx context.Context, src source.Spec) (*uploader.Encrypted, error) {
	return uploader.Encrypt(ctx, src, u.cfg.EncryptOptions())
}
