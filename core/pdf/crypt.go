package pdf

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
)

// Decryption of files encrypted with the standard security handler and an empty user password
// (ISO 32000-2 §7.6.4): such a file opens in every viewer without a question, so a verifier must
// read it. Only with Options.Decrypt; the primitives are the standard library's (crypto/rc4,
// crypto/aes, crypto/md5, crypto/sha256/512). Files that need a password, the public-key handler
// and unknown crypt filters stay ErrEncrypted. Strings and streams are decrypted when an object
// is loaded, except what the standard leaves in clear: the /Encrypt dictionary, cross-reference
// streams, the /Contents of signature dictionaries and, with /EncryptMetadata false, metadata
// streams. Objects inside object streams are covered by the object stream's own decryption.

// errNeedsPassword means the document does not open with the empty user password.
var errNeedsPassword = errors.New("it needs a password")

type cryptMethod int

const (
	cryptNone cryptMethod = iota
	cryptRC4
	cryptAESV2
	cryptAESV3
)

type decrypter struct {
	key        []byte // the file encryption key
	rev        int    // /R
	str, stm   cryptMethod
	encMeta    bool
	encryptRef Ref // the /Encrypt dictionary's object, never decrypted
}

// padding is the 32-byte password padding string of Algorithm 2.
var padding = []byte{0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
	0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A}

// setupDecryption reads the /Encrypt dictionary enc (a dictionary or a reference to one) and
// derives the file key from the empty user password.
func (f *File) setupDecryption(enc Object) error {
	d := &decrypter{encMeta: true}
	if r, ok := enc.(Ref); ok {
		d.encryptRef = r
		o, err := f.Latest().Object(r)
		if err != nil {
			return fmt.Errorf("%w: /Encrypt: %w", ErrEncrypted, err)
		}
		enc = o
	}
	ed, ok := enc.(Dict)
	if !ok {
		return fmt.Errorf("%w: /Encrypt is not a dictionary", ErrEncrypted)
	}
	if ed.NameOf("Filter") != "Standard" {
		return fmt.Errorf("%w: security handler /%s is not supported", ErrEncrypted, ed.NameOf("Filter"))
	}
	v, _ := IntOf(ed.Get("V"))
	r, _ := IntOf(ed.Get("R"))
	p, _ := IntOf(ed.Get("P"))
	d.rev = int(r)
	if b, ok := ed.Get("EncryptMetadata").(Bool); ok {
		d.encMeta = bool(b)
	}
	o, _ := ed.Get("O").(String)
	u, _ := ed.Get("U").(String)
	var id0 []byte
	if ids, ok := f.Latest().Revision().Trailer.Get("ID").(Array); ok && len(ids) > 0 {
		if s, ok := ids[0].(String); ok {
			id0 = s.Bytes
		}
	}
	switch {
	case v == 1 || v == 2:
		d.str, d.stm = cryptRC4, cryptRC4
	case v == 4 || v == 5:
		cf, _ := ed.Get("CF").(Dict)
		method := func(name Name) (cryptMethod, error) {
			if name == "" || name == "Identity" {
				return cryptNone, nil
			}
			fd, _ := cf.Get(name).(Dict)
			switch fd.NameOf("CFM") {
			case "V2":
				return cryptRC4, nil
			case "AESV2":
				return cryptAESV2, nil
			case "AESV3":
				return cryptAESV3, nil
			case "None":
				return cryptNone, nil
			}
			return 0, fmt.Errorf("%w: crypt filter /%s (method /%s) is not supported", ErrEncrypted, name, fd.NameOf("CFM"))
		}
		var err error
		if d.str, err = method(ed.NameOf("StrF")); err != nil {
			return err
		}
		if d.stm, err = method(ed.NameOf("StmF")); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: /V %d is not supported", ErrEncrypted, v)
	}
	var err error
	switch d.rev {
	case 2, 3, 4:
		n := 5
		if d.rev >= 3 {
			l, ok := IntOf(ed.Get("Length"))
			if !ok {
				l = 40
				if v == 2 || v == 4 {
					l = 128
				}
			}
			if v == 4 {
				l = 128
			}
			if l < 40 || l > 128 || l%8 != 0 {
				return fmt.Errorf("%w: key length %d is not supported", ErrEncrypted, l)
			}
			n = int(l / 8)
		}
		d.key, err = legacyKey(d.rev, n, o.Bytes, u.Bytes, int32(p), id0, d.encMeta)
	case 5, 6:
		ue, _ := ed.Get("UE").(String)
		d.key, err = aes256Key(d.rev, u.Bytes, ue.Bytes)
	default:
		return fmt.Errorf("%w: security handler revision %d is not supported", ErrEncrypted, d.rev)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrEncrypted, err)
	}
	f.dec = d
	return nil
}

// legacyKey is Algorithm 2 with the empty password, checked against /U (Algorithms 4 and 5).
func legacyKey(rev, n int, o, u []byte, p int32, id0 []byte, encMeta bool) ([]byte, error) {
	if len(o) < 32 || len(u) < 32 {
		return nil, errors.New("/O or /U is shorter than 32 bytes")
	}
	h := md5.New()
	h.Write(padding)
	h.Write(o[:32])
	var pb [4]byte
	binary.LittleEndian.PutUint32(pb[:], uint32(p))
	h.Write(pb[:])
	h.Write(id0)
	if rev >= 4 && !encMeta {
		h.Write([]byte{0xff, 0xff, 0xff, 0xff})
	}
	key := h.Sum(nil)[:n]
	if rev >= 3 {
		for i := 0; i < 50; i++ {
			s := md5.Sum(key)
			key = s[:n]
		}
	}
	// The user password check.
	var want []byte
	if rev == 2 {
		want = rc4Bytes(key, padding)
		if !bytes.Equal(want, u[:32]) {
			return nil, errNeedsPassword
		}
		return key, nil
	}
	h = md5.New()
	h.Write(padding)
	h.Write(id0)
	want = rc4Bytes(key, h.Sum(nil))
	k := make([]byte, len(key))
	for i := 1; i <= 19; i++ {
		for j := range key {
			k[j] = key[j] ^ byte(i)
		}
		want = rc4Bytes(k, want)
	}
	if !bytes.Equal(want, u[:16]) {
		return nil, errNeedsPassword
	}
	return key, nil
}

// aes256Key is Algorithm 2.A with the empty password: /U's validation salt proves the password,
// /U's key salt unwraps /UE.
func aes256Key(rev int, u, ue []byte) ([]byte, error) {
	if len(u) < 48 || len(ue) < 32 {
		return nil, errors.New("/U or /UE is too short")
	}
	if !bytes.Equal(hash2B(rev, nil, u[32:40]), u[:32]) {
		return nil, errNeedsPassword
	}
	ik := hash2B(rev, nil, u[40:48])
	blk, err := aes.NewCipher(ik)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	cipher.NewCBCDecrypter(blk, make([]byte, 16)).CryptBlocks(key, ue[:32])
	return key, nil
}

// hash2B is Algorithm 2.B (R6) or plain SHA-256 (R5) of password ‖ salt, for the user password
// (no /U data mixed in).
func hash2B(rev int, pw, salt []byte) []byte {
	k0 := sha256.Sum256(append(append([]byte{}, pw...), salt...))
	if rev == 5 {
		return k0[:]
	}
	k := k0[:]
	for round := 0; ; round++ {
		k1 := bytes.Repeat(append(append([]byte{}, pw...), k...), 64)
		blk, _ := aes.NewCipher(k[:16])
		e := make([]byte, len(k1))
		cipher.NewCBCEncrypter(blk, k[16:32]).CryptBlocks(e, k1)
		sum := 0
		for _, b := range e[:16] {
			sum += int(b)
		}
		var h hash.Hash
		switch sum % 3 {
		case 0:
			h = sha256.New()
		case 1:
			h = sha512.New384()
		default:
			h = sha512.New()
		}
		h.Write(e)
		k = h.Sum(nil)
		if round >= 63 && int(e[len(e)-1]) <= round-31 { // rounds done (round+1) - 32
			break
		}
	}
	return k[:32]
}

func rc4Bytes(key, in []byte) []byte {
	c, _ := rc4.NewCipher(key)
	out := make([]byte, len(in))
	c.XORKeyStream(out, in)
	return out
}

// objectKey is Algorithm 1: the key for one object's strings and streams.
func (d *decrypter) objectKey(m cryptMethod, num, gen int) []byte {
	if m == cryptAESV3 {
		return d.key
	}
	h := md5.New()
	h.Write(d.key)
	h.Write([]byte{byte(num), byte(num >> 8), byte(num >> 16), byte(gen), byte(gen >> 8)})
	if m == cryptAESV2 {
		h.Write([]byte("sAlT"))
	}
	n := min(len(d.key)+5, 16)
	return h.Sum(nil)[:n]
}

func (d *decrypter) decrypt(m cryptMethod, num, gen int, in []byte) ([]byte, error) {
	switch m {
	case cryptNone:
		return in, nil
	case cryptRC4:
		return rc4Bytes(d.objectKey(m, num, gen), in), nil
	}
	if len(in) == 0 {
		return in, nil
	}
	if len(in) < 32 || len(in)%16 != 0 {
		return nil, fmt.Errorf("%w: AES-encrypted data of %d bytes is not whole blocks with an IV", ErrMalformed, len(in))
	}
	blk, err := aes.NewCipher(d.objectKey(m, num, gen))
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(in)-16)
	cipher.NewCBCDecrypter(blk, in[:16]).CryptBlocks(out, in[16:])
	pad := int(out[len(out)-1])
	if pad < 1 || pad > 16 {
		return nil, fmt.Errorf("%w: bad AES padding", ErrMalformed)
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: bad AES padding", ErrMalformed)
		}
	}
	return out[:len(out)-pad], nil
}

// decryptObject decrypts the strings of an object loaded from the file body and marks its
// stream (if any) for decryption when its data is read.
func (d *decrypter) decryptObject(o Object, ref Ref) (Object, error) {
	if ref.Num == d.encryptRef.Num && d.encryptRef.Num != 0 {
		return o, nil
	}
	if st, ok := o.(*Stream); ok {
		if st.Dict.NameOf("Type") == "XRef" {
			return o, nil
		}
		nd, err := d.decryptValue(st.Dict, ref, 0)
		if err != nil {
			return nil, err
		}
		c := *st
		c.Dict = nd.(Dict)
		if d.stm != cryptNone && !(st.Dict.NameOf("Type") == "Metadata" && !d.encMeta) && !hasCryptFilter(st.Dict) {
			c.crypt = &streamCrypt{d: d, num: ref.Num, gen: ref.Gen}
		}
		return &c, nil
	}
	return d.decryptValue(o, ref, 0)
}

// hasCryptFilter: a stream that names the /Crypt filter chooses its own crypt filter; only
// /Identity is supported, which means "not encrypted".
func hasCryptFilter(sd Dict) bool {
	switch f := sd.Get("Filter").(type) {
	case Name:
		return f == "Crypt"
	case Array:
		for _, x := range f {
			if x == Name("Crypt") {
				return true
			}
		}
	}
	return false
}

func (d *decrypter) decryptValue(o Object, ref Ref, depth int) (Object, error) {
	if depth > 512 {
		return nil, fmt.Errorf("%w: nesting too deep", ErrMalformed)
	}
	switch x := o.(type) {
	case String:
		b, err := d.decrypt(d.str, ref.Num, ref.Gen, x.Bytes)
		if err != nil {
			return nil, fmt.Errorf("object %d: string: %w", ref.Num, err)
		}
		x.Bytes = b
		return x, nil
	case Array:
		out := make(Array, len(x))
		for i, e := range x {
			v, err := d.decryptValue(e, ref, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case Dict:
		// A signature dictionary's /Contents is written in clear (§7.6.2).
		_, isSig := x["ByteRange"]
		out := make(Dict, len(x))
		for k, e := range x {
			if isSig && k == "Contents" {
				out[k] = e
				continue
			}
			v, err := d.decryptValue(e, ref, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}
	return o, nil
}

// streamCrypt is how a stream's raw data is decrypted.
type streamCrypt struct {
	d        *decrypter
	num, gen int
}

// Encrypted reports whether the file is encrypted (and was opened with Options.Decrypt).
func (f *File) Encrypted() bool { return f.dec != nil }
