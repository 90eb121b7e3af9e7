package update

import "fmt"

// Reason says why an update was refused; the UI words each one in Chinese.
type Reason string

// Reasons of *Error.
const (
	ReasonNoKey         Reason = "no_key"         // this build carries no release public key
	ReasonNoServer      Reason = "no_server"      // 单机模式: no update server configured
	ReasonNotPublished  Reason = "not_published"  // the server has no manifest for this platform
	ReasonNetwork       Reason = "network"        // the server could not be reached or answered an error
	ReasonBadManifest   Reason = "bad_manifest"   // not a signed manifest, or fields out of form
	ReasonWrongKey      Reason = "wrong_key"      // signed by a key this app does not trust
	ReasonBadSignature  Reason = "bad_signature"  // the signature does not match (tampered manifest)
	ReasonWrongPlatform Reason = "wrong_platform" // for another OS/architecture (Have / Want)
	ReasonUpToDate      Reason = "up_to_date"     // the same version as the one running
	ReasonDowngrade     Reason = "downgrade"      // an older version than the one running
	ReasonTooOld        Reason = "too_old"        // the running version is older than min_version
	ReasonReplay        Reason = "replay"         // a sequence lower than one accepted before
	ReasonTooLarge      Reason = "too_large"      // the declared size is over the limit
	ReasonSizeMismatch  Reason = "size_mismatch"  // the file is not the size the manifest says
	ReasonHashMismatch  Reason = "hash_mismatch"  // the file's SHA-256 differs from the manifest's
	ReasonBadURL        Reason = "bad_url"        // the file is not on the manifest's server
	ReasonDisk          Reason = "disk"           // the download could not be written
)

// Error is a refused update. Have and Want carry the values the sentence names (a version, a
// platform, a size in bytes, a sequence); Detail is English for the log.
type Error struct {
	Reason Reason
	Have   string // what the manifest or the file has
	Want   string // what this app expected
	Detail string
	Err    error // the underlying error, if any
}

func (e *Error) Error() string {
	s := "update refused (" + string(e.Reason) + ")"
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Have != "" || e.Want != "" {
		s += fmt.Sprintf(" [have %s, want %s]", e.Have, e.Want)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
