package sign

import (
	"crypto"
	"errors"
	"io"
)

// RemoteSigner adapts a function that signs a digest elsewhere — a PKCS#11 token, an HSM — to
// crypto.Signer. (Enterprise seals are not signed this way: the server prepares and signs the
// document itself, see core/entseal.) SignFile calls it exactly once per signature, with the digest of the CMS
// signed attributes and opts naming the hash (and *rsa.PSSOptions for PSS).
type RemoteSigner struct {
	Pub  crypto.PublicKey
	Func func(digest []byte, opts crypto.SignerOpts) ([]byte, error)
}

var _ crypto.Signer = (*RemoteSigner)(nil)

// Public returns the signer's public key.
func (r *RemoteSigner) Public() crypto.PublicKey { return r.Pub }

// Sign forwards the digest to Func.
func (r *RemoteSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if r.Func == nil {
		return nil, errors.New("remote signer has no signing function")
	}
	return r.Func(digest, opts)
}
