package ui

import (
	"context"

	"sealdesk/core/org"
	"sealdesk/core/session"
	"sealdesk/core/sync"
)

// SessionService is the session (core/session.Manager) as the desktop's own parts use it:
// 设置 › 服务器 and 账户, 登录 / 注册, the switch between 个人版 and the enterprises, and the
// sync status under the navigation.
type SessionService interface {
	Connection
	// Server is the chosen server; Probe contacts an address without trusting it and returns
	// its CA's fingerprint; Pin trusts it (after the user confirmed) and makes it the server;
	// UseLocal goes back to 本机.
	Server() session.ServerConfig
	Probe(ctx context.Context, url string) (session.Probe, error)
	Pin(session.Probe) error
	UseLocal() error
	// Accounts on the remote server.
	SendCode(ctx context.Context, login, purpose string) error
	Register(ctx context.Context, r org.RegisterRequest) (org.Account, error)
	Login(ctx context.Context, r org.LoginRequest) (org.Account, error)
	SignOut(ctx context.Context) error
	Account() (org.Account, bool)
	// Enterprises the user belongs to; Active is the one of Context (false in 个人版).
	Enterprises() []session.Enterprise
	Active() (session.Enterprise, bool)
	SetContext(id string) error
	RefreshEnterprises(ctx context.Context) error
	// Sync: the status shown under the navigation, dismissing refusals the user has read,
	// sending the outbox now, and queueing a command.
	Status() session.Status
	Dismiss(ids ...string) error
	SyncNow()
	Submit(ctx context.Context, cmd sync.Command) (sync.OutboxEntry, error)
}

var _ SessionService = (*session.Manager)(nil)

// session returns the session service, or nil.
func (s *Shell) session() SessionService { return s.Services.Session }

// Can reports whether the signed-in member may do p in the active enterprise; in 个人版 and
// without a session it is true (the personal space has no roles). Screens hide what is false.
func (s *Shell) Can(p org.Permission) bool {
	ss := s.session()
	if ss == nil || ss.Context() == "" {
		return true
	}
	e, ok := ss.Active()
	return ok && e.Can(p)
}
