//go:build cgo

package pkcs11key

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	stdsync "sync"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"

	"sealdesk/core/keystore"
)

// # Personal keys on a UKey
//
// Personal implements core/keystore.Tokens for the desktop. Each Signer call logs out of the
// token first (closing this process's context on it) and logs in again with the PIN given, so
// the token — not this process — decides whether the PIN is right, and counts wrong ones with
// its own lock-out. The context stays open until the next call or Close, so the signer returned
// works for the signing that follows.
//
// SM2: crypto11 drives RSA, ECDSA and DSA only, and SM2 on Chinese UKeys is reached through
// vendor-defined mechanisms (or the GM/T 0016 SKF interface rather than PKCS #11). ListTokens
// reports whether a token lists a vendor mechanism, but keys are made and used as ECDSA P-256 or
// RSA 2048; an SM2-only token is listed with its certificates and said to be unsupported.

// TokenInfo describes a token present in a slot of a module.
type TokenInfo struct {
	Slot                        uint
	Label, Serial, Manufacturer string
	Model                       string
	ECDSA, RSA, Vendor          bool // mechanisms offered: CKM_ECDSA, CKM_RSA_PKCS, vendor-defined
	Certificates                []TokenCert
}

// TokenCert is a certificate object on a token (readable without logging in).
type TokenCert struct {
	ID    []byte
	Label string
	Cert  *x509.Certificate
}

// moduleMu serialises ListTokens' raw module use (C_Initialize/C_Finalize) with Personal's.
var moduleMu stdsync.Mutex

// ListTokens loads module and lists the tokens present with their certificates. It never logs
// in.
func ListTokens(module string) ([]TokenInfo, error) {
	moduleMu.Lock()
	defer moduleMu.Unlock()
	p := pkcs11.New(module)
	if p == nil {
		return nil, fmt.Errorf("pkcs11: cannot load the module %s", module)
	}
	defer p.Destroy()
	if err := p.Initialize(); err != nil {
		var pe pkcs11.Error
		if !errors.As(err, &pe) || pe != pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED {
			return nil, fmt.Errorf("pkcs11: failed to initialise %s: %w", module, err)
		}
	} else {
		defer p.Finalize()
	}
	slots, err := p.GetSlotList(true)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: failed to list slots: %w", err)
	}
	var out []TokenInfo
	for _, slot := range slots {
		ti, err := p.GetTokenInfo(slot)
		if err != nil || ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue // an empty slot of the module (SoftHSM2 always offers one)
		}
		t := TokenInfo{Slot: slot, Label: ti.Label, Serial: ti.SerialNumber, Manufacturer: ti.ManufacturerID, Model: ti.Model}
		if ms, err := p.GetMechanismList(slot); err == nil {
			for _, m := range ms {
				switch {
				case m.Mechanism == pkcs11.CKM_ECDSA:
					t.ECDSA = true
				case m.Mechanism == pkcs11.CKM_RSA_PKCS:
					t.RSA = true
				case m.Mechanism >= pkcs11.CKM_VENDOR_DEFINED:
					t.Vendor = true
				}
			}
		}
		t.Certificates = certificates(p, slot)
		out = append(out, t)
	}
	return out, nil
}

func certificates(p *pkcs11.Ctx, slot uint) []TokenCert {
	s, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil
	}
	defer p.CloseSession(s)
	if err := p.FindObjectsInit(s, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE)}); err != nil {
		return nil
	}
	objs, _, err := p.FindObjects(s, 64)
	p.FindObjectsFinal(s)
	if err != nil {
		return nil
	}
	var out []TokenCert
	for _, o := range objs {
		attrs, err := p.GetAttributeValue(s, o, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil), pkcs11.NewAttribute(pkcs11.CKA_ID, nil), pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil)})
		if err != nil || len(attrs) != 3 {
			continue
		}
		c, err := x509.ParseCertificate(attrs[0].Value)
		if err != nil {
			continue // an SM2 certificate or another kind crypto/x509 cannot read
		}
		out = append(out, TokenCert{ID: attrs[1].Value, Label: string(attrs[2].Value), Cert: c})
	}
	return out
}

// Personal opens personal keys on tokens (core/keystore.Tokens).
type Personal struct {
	mu  stdsync.Mutex
	ctx map[string]*crypto11.Context
}

var _ keystore.Tokens = (*Personal)(nil)

// NewPersonal returns a Personal with no token open.
func NewPersonal() *Personal { return &Personal{ctx: map[string]*crypto11.Context{}} }

func tokenKey(module, label, serial string) string { return module + "\x00" + label + "\x00" + serial }

// relogin closes this process's context on the token and logs in with pin.
func (p *Personal) relogin(module, label, serial, pin string) (*crypto11.Context, error) {
	k := tokenKey(module, label, serial)
	if c := p.ctx[k]; c != nil {
		c.Close()
		delete(p.ctx, k)
	}
	moduleMu.Lock()
	ctx, err := login(module, label, serial, pin)
	moduleMu.Unlock()
	if err != nil {
		return nil, err
	}
	p.ctx[k] = ctx
	return ctx, nil
}

// Signer logs in with pin (checked by the token) and returns the signer of ref's key.
func (p *Personal) Signer(ref keystore.TokenRef, pin string) (crypto.Signer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx, err := p.relogin(ref.Module, ref.Token, ref.Serial, pin)
	if err != nil {
		return nil, err
	}
	k, err := findKey(ctx, ref.KeyID, nil)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: the key is not on token %q: %w", ref.Token, err)
	}
	return tokenSigner{k}, nil
}

// List is ListTokens (for callers that hold a Personal).
func (p *Personal) List(module string) ([]TokenInfo, error) { return ListTokens(module) }

// Generate logs in with pin and makes a key pair of alg on the token; the reference and public
// key go to keystore.AddToken, the CSR is then made on the token through Signer.
func (p *Personal) Generate(module, label, serial, pin string, alg Alg) (keystore.TokenRef, crypto.PublicKey, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx, err := p.relogin(module, label, serial, pin)
	if err != nil {
		return keystore.TokenRef{}, nil, err
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return keystore.TokenRef{}, nil, err
	}
	s, err := generate(ctx, id, "SealDesk personal signing key", alg)
	if err != nil {
		return keystore.TokenRef{}, nil, err
	}
	return keystore.TokenRef{Module: module, Token: label, Serial: serial, KeyID: id}, s.Public(), nil
}

// ImportCertificate stores the issued certificate on the token next to its key (same CKA_ID),
// through the context of the last Signer or Generate on that token.
func (p *Personal) ImportCertificate(ref keystore.TokenRef, cert *x509.Certificate) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx := p.ctx[tokenKey(ref.Module, ref.Token, ref.Serial)]
	if ctx == nil {
		return errors.New("pkcs11: not logged in to the token")
	}
	if err := ctx.ImportCertificateWithLabel(ref.KeyID, []byte("SealDesk personal certificate"), cert); err != nil {
		return fmt.Errorf("pkcs11: failed to store the certificate on the token: %w", mapErr(err))
	}
	return nil
}

// Logout closes the context on ref's token (as if the session ended).
func (p *Personal) Logout(ref keystore.TokenRef) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := tokenKey(ref.Module, ref.Token, ref.Serial)
	if c := p.ctx[k]; c != nil {
		c.Close()
		delete(p.ctx, k)
	}
}

// Close logs out of every token.
func (p *Personal) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.ctx {
		c.Close()
		delete(p.ctx, k)
	}
	return nil
}
