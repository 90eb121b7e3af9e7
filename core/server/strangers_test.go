package server_test

import (
	"fmt"
	"testing"
	"time"

	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// A stranger who knows only the owner's login cannot stop the owner signing in with a code:
// his own code requests do not make the owner's desktop wait, and his wrong guesses spend only
// his own codes (each code is bound to the challenge of the request that made it).
func TestStrangerCannotBurnOwnersCode(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			login := newPhone()
			owner := e.register(t, login)
			if owner.DeviceToken() == "" {
				t.Fatal("registering gave no device token")
			}
			e.clock.Advance(2 * time.Minute) // past the registration code's interval
			stranger := e.client(t)
			if err := stranger.SendCode(ctx, login, org.PurposeLogin); err != nil {
				t.Fatal(err)
			}
			// The owner's desktop asks within the minute the stranger's request started.
			if err := owner.SendCode(ctx, login, org.PurposeLogin); err != nil {
				t.Fatalf("the owner's device must get a code while a stranger uses up the login's limits: %v", err)
			}
			ownerCode := e.lastCode(t, login)
			for i := 0; i < 8; i++ {
				guess := fmt.Sprintf("%06d", i)
				if guess == ownerCode {
					continue
				}
				_, err := stranger.Login(ctx, org.LoginRequest{Login: login, Code: guess})
				wantCode(t, err, "code_invalid")
				_, err = stranger.Login(ctx, org.LoginRequest{Login: login, Code: guess, Challenge: "ch_x"})
				wantCode(t, err, "code_invalid")
			}
			// The stranger even holds the right code (read over the owner's shoulder) but
			// not the owner's challenge: refused, and the owner's code is not spent.
			_, err := stranger.Login(ctx, org.LoginRequest{Login: login, Code: ownerCode})
			wantCode(t, err, "code_invalid")
			owner.Token = ""
			if _, err := owner.Login(ctx, org.LoginRequest{Login: login, Code: ownerCode}); err != nil {
				t.Fatalf("the owner's code after a stranger's guesses: %v", err)
			}
			// A code is still single-use.
			_, err = owner.Login(ctx, org.LoginRequest{Login: login, Code: ownerCode})
			wantCode(t, err, "code_invalid")
		})
	}
}

// Wrong passwords from any number of addresses lock the password login for strangers, never for
// a device the owner signed in from before; the device's own failures still lock it.
func TestStrangerCannotLockOwnersDevice(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			svc := e.run.Server.Org()
			login := newPhone()
			device := e.register(t, login).DeviceToken()
			for i := 0; i < 30; i++ {
				_, err := svc.Login(ctx, org.LoginRequest{Login: login, Password: "Wrong0neX"}, fmt.Sprintf("192.0.2.%d", i))
				if i < 20 {
					wantRefusal(t, err, "bad_credentials")
				} else {
					wantRefusal(t, err, "locked")
				}
			}
			_, err := svc.Login(ctx, org.LoginRequest{Login: login, Password: testPassword}, "198.51.100.7")
			wantRefusal(t, err, "locked")
			tok, err := svc.Login(ctx, org.LoginRequest{Login: login, Password: testPassword, Device: device}, "198.51.100.7")
			if err != nil {
				t.Fatalf("the owner's device is locked out by strangers: %v", err)
			}
			if tok.Device != device {
				t.Errorf("the device token changed on a known device: %q → %q", device, tok.Device)
			}
			// Another account's device token is not a pass for this login.
			other := e.register(t, newPhone()).DeviceToken()
			_, err = svc.Login(ctx, org.LoginRequest{Login: login, Password: testPassword, Device: other}, "198.51.100.8")
			wantRefusal(t, err, "locked")
			// The device's own wrong passwords lock the device (LoginFailures = 5).
			for i := 0; i < 5; i++ {
				_, err := svc.Login(ctx, org.LoginRequest{Login: login, Password: "Wrong0neX", Device: device}, "198.51.100.7")
				wantRefusal(t, err, "bad_credentials")
			}
			_, err = svc.Login(ctx, org.LoginRequest{Login: login, Password: testPassword, Device: device}, "198.51.100.7")
			wantRefusal(t, err, "locked")
			// Expired device tokens are purged by the janitor's sweep, live ones kept.
			if _, err := svc.PurgeLimits(ctx); err != nil {
				t.Fatal(err)
			}
			n := 0
			if err := e.run.Server.Processor().Store.View(ctx, func(tx sync.Tx) error {
				return tx.Scan(org.BucketDevices, "", "", 0, func(string, []byte) error { n++; return nil })
			}); err != nil {
				t.Fatal(err)
			}
			if n < 2 {
				t.Errorf("live device tokens purged: %d left", n)
			}
		})
	}
}
