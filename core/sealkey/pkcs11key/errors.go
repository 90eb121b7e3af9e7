package pkcs11key

import "errors"

// ErrNoCgo is what every entry point answers in a binary built with CGO_ENABLED=0.
var ErrNoCgo = errors.New("pkcs11: this binary was built without cgo (CGO_ENABLED=0) and cannot load a PKCS #11 module; build it with cgo or use the software seal-key vault")
