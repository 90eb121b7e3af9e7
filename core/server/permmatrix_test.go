package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"sealdesk/core/ids"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// The permission matrix: every route of the router, called by every kind of caller, is allowed
// or refused exactly as its row says. A route without a row fails the test — whoever adds a route
// adds its row here (and a row whose route is gone fails too).
//
// # Rules
//
//   - pub: public, no session needed (not checked further here).
//   - usr: any signed-in person; nobody is refused for who they are.
//   - srv: the server's admins (reviewers) only; everyone else gets 403 forbidden.
//   - mem: any enabled member of the enterprise in the path.
//   - owner: the enterprise's 主管理员 only (the main-admin transfer).
//   - entAdmin: the enterprise's 主管理员 and 子管理员 only (custom roles are refused even with
//     every permission).
//   - key: the open API's HMAC-signed routes (core/apikey): no session opens them — every caller
//     here, signed in or not, gets 401 signature_missing; scopes and enterprises of keys are
//     checked in open_e2e_test.go.
//   - perm(p): members holding p: 主管理员, 子管理员, a custom role with p; refused to a custom
//     role with every permission but p and to a plain member.
//
// Whatever the rule, a member of another enterprise, a disabled member (a 子管理员, the
// strongest role one can disable) and a stranger are refused by every enterprise rule.
//
// The enterprise goes where the route's pattern says {id}, {ent}, {enterprise} or
// {enterprise_id}, and where a row's query or body says {ent}; every other path parameter is
// "x". Refused means 403 with one of the codes in denyCodes; allowed means anything else but
// 401 (a 400 for the empty body, a 404 for the "x", …).
type matrixRule struct {
	kind string // pub, usr, srv, mem, entAdmin, perm
	perm org.Permission
}

var (
	pub      = matrixRule{kind: "pub"}
	usr      = matrixRule{kind: "usr"}
	srv      = matrixRule{kind: "srv"}
	mem      = matrixRule{kind: "mem"}
	entAdmin = matrixRule{kind: "entAdmin"}
	owner    = matrixRule{kind: "owner"}
	key      = matrixRule{kind: "key"}
)

func perm(p org.Permission) matrixRule { return matrixRule{kind: "perm", perm: p} }

type matrixRow struct {
	rule  matrixRule
	query string // added to the URL; {ent} is the enterprise id
	body  string // request body (default "{}"); {ent} is the enterprise id
	last  bool   // run after every other row (it ends the caller's session)
}

// permissionMatrix has one row per route, keyed "METHOD pattern" exactly as in routeTable.
var permissionMatrix = map[string]matrixRow{
	"GET /healthz":             {rule: pub},
	"GET /api/v1/openapi.json": {rule: pub},
	// Desktop self-update (issue 20): public, the desktop checks the release signature.
	"GET /api/v1/updates/manifest/{platform}":         {rule: pub},
	"GET /api/v1/updates/files/{name}":                {rule: pub},
	"POST /api/v1/auth/codes":                         {rule: pub},
	"POST /api/v1/auth/register":                      {rule: pub},
	"POST /api/v1/auth/login":                         {rule: pub},
	"POST /api/v1/auth/logout":                        {rule: usr, last: true},
	"GET /api/v1/me":                                  {rule: usr},
	"POST /api/v1/realname":                           {rule: usr},
	"GET /api/v1/realname":                            {rule: usr},
	"PUT /api/v1/realname/{id}/photos/{side}":         {rule: usr},
	"POST /api/v1/certificates":                       {rule: usr},
	"GET /api/v1/certificates":                        {rule: usr},
	"POST /api/v1/certificates/{serial}/revoke":       {rule: usr},
	"GET /api/v1/sync":                                {rule: mem, query: "scope=ent:{ent}"},
	"POST /api/v1/commands":                           {rule: mem, body: `{"type":"profile.rename","scope":"ent:{ent}","payload":{}}`},
	"GET /api/v1/admin/reviews":                       {rule: srv},
	"GET /api/v1/admin/reviews/{id}":                  {rule: srv},
	"GET /api/v1/admin/reviews/{id}/photos/{side}":    {rule: srv},
	"POST /api/v1/admin/reviews/{id}/approve":         {rule: srv},
	"POST /api/v1/admin/reviews/{id}/reject":          {rule: srv},
	"POST /api/v1/admin/certificates/{serial}/revoke": {rule: srv},
	"GET /api/v1/admin/audit":                         {rule: srv},
	"GET /ca/root.pem":                                {rule: pub},
	"GET /ca/issuing.crt":                             {rule: pub},
	"GET /ca/crl":                                     {rule: pub},
	"GET /ocsp/{request...}":                          {rule: pub},
	"POST /ocsp":                                      {rule: pub},
	"POST /tsa":                                       {rule: pub},
	"GET /dev/outbox":                                 {rule: pub},

	// Enterprises (branch ent).
	"POST /api/v1/enterprises":                                      {rule: usr},
	"GET /api/v1/enterprises":                                       {rule: usr},
	"GET /api/v1/enterprises/{id}":                                  {rule: mem},
	"GET /api/v1/enterprises/{id}/members":                          {rule: mem},
	"POST /api/v1/enterprises/{id}/members":                         {rule: perm(org.PermManageMembers)},
	"PUT /api/v1/enterprises/{id}/members/{account}":                {rule: perm(org.PermManageMembers)},
	"DELETE /api/v1/enterprises/{id}/members/{account}":             {rule: perm(org.PermManageMembers)},
	"POST /api/v1/enterprises/{id}/members/{account}/disable":       {rule: perm(org.PermManageMembers)},
	"POST /api/v1/enterprises/{id}/members/{account}/enable":        {rule: perm(org.PermManageMembers)},
	"GET /api/v1/enterprises/{id}/invite":                           {rule: perm(org.PermManageMembers)},
	"PUT /api/v1/enterprises/{id}/invite":                           {rule: perm(org.PermManageMembers), body: `{"enabled":true}`},
	"POST /api/v1/enterprises/{id}/invite/rotate":                   {rule: perm(org.PermManageMembers)},
	"GET /api/v1/enterprises/{id}/invite/qr.png":                    {rule: perm(org.PermManageMembers)},
	"GET /api/v1/enterprises/{id}/join-requests":                    {rule: perm(org.PermManageMembers)},
	"POST /api/v1/enterprises/{id}/join-requests/{account}/approve": {rule: perm(org.PermManageMembers)},
	"POST /api/v1/enterprises/{id}/join-requests/{account}/reject":  {rule: perm(org.PermManageMembers)},
	"GET /api/v1/enterprises/{id}/roles":                            {rule: mem},
	"POST /api/v1/enterprises/{id}/roles":                           {rule: entAdmin},
	"PUT /api/v1/enterprises/{id}/roles/{role}":                     {rule: entAdmin},
	"DELETE /api/v1/enterprises/{id}/roles/{role}":                  {rule: entAdmin},
	"GET /api/v1/enterprises/{id}/departments":                      {rule: mem},
	"POST /api/v1/enterprises/{id}/departments":                     {rule: perm(org.PermManageMembers)},
	"PUT /api/v1/enterprises/{id}/departments/{dept}":               {rule: perm(org.PermManageMembers)},
	"DELETE /api/v1/enterprises/{id}/departments/{dept}":            {rule: perm(org.PermManageMembers)},
	"POST /api/v1/enterprises/{id}/verification":                    {rule: entAdmin},
	"GET /api/v1/enterprises/{id}/verification":                     {rule: mem},
	"POST /api/v1/enterprises/{id}/verification/deposit":            {rule: entAdmin},
	"PUT /api/v1/enterprises/{id}/verification/uploads/{kind}":      {rule: entAdmin},
	"GET /api/v1/admin/enterprise-reviews":                          {rule: srv},
	"GET /api/v1/admin/enterprise-reviews/{id}":                     {rule: srv},
	"GET /api/v1/admin/enterprise-reviews/{id}/uploads/{kind}":      {rule: srv},
	"POST /api/v1/admin/enterprise-reviews/{id}/approve":            {rule: srv},
	"POST /api/v1/admin/enterprise-reviews/{id}/reject":             {rule: srv},
	"GET /api/v1/enterprises/{id}/audit":                            {rule: entAdmin},
	"GET /api/v1/enterprises/{id}/audit.csv":                        {rule: entAdmin},
	"GET /api/v1/invites/{token}":                                   {rule: usr},
	"POST /api/v1/invites/{token}/join":                             {rule: usr},
	"GET /join/{token}":                                             {rule: pub},

	// Integrator webhooks (area admin).
	"GET /api/v1/enterprises/{id}/webhooks":                                 {rule: perm(org.PermManageIntegrations)},
	"POST /api/v1/enterprises/{id}/webhooks":                                {rule: perm(org.PermManageIntegrations)},
	"PUT /api/v1/enterprises/{id}/webhooks/{hook}":                          {rule: perm(org.PermManageIntegrations)},
	"DELETE /api/v1/enterprises/{id}/webhooks/{hook}":                       {rule: perm(org.PermManageIntegrations)},
	"POST /api/v1/enterprises/{id}/webhooks/{hook}/rotate":                  {rule: perm(org.PermManageIntegrations)},
	"POST /api/v1/enterprises/{id}/webhooks/{hook}/ping":                    {rule: perm(org.PermManageIntegrations)},
	"GET /api/v1/enterprises/{id}/webhook-deliveries":                       {rule: perm(org.PermManageIntegrations)},
	"GET /api/v1/enterprises/{id}/webhook-deliveries/{delivery}":            {rule: perm(org.PermManageIntegrations)},
	"POST /api/v1/enterprises/{id}/webhook-deliveries/{delivery}/redeliver": {rule: perm(org.PermManageIntegrations)},

	// The main-admin change of manual 000 and 一键转交 (area admin). Appeals are made by people who
	// are not (yet) admins of the enterprise: any signed-in person; the review queue is the
	// server's.
	"POST /api/v1/enterprises/{id}/admin-transfer/code":        {rule: owner},
	"POST /api/v1/enterprises/{id}/admin-transfer":             {rule: owner},
	"GET /api/v1/enterprises/{id}/handover-kinds":              {rule: entAdmin},
	"POST /api/v1/enterprises/{id}/members/{account}/handover": {rule: entAdmin},
	"POST /api/v1/appeals":                                     {rule: usr},
	"GET /api/v1/appeals":                                      {rule: usr},
	"GET /api/v1/appeals/{appeal}":                             {rule: usr},
	"PUT /api/v1/appeals/{appeal}/letter":                      {rule: usr},
	"POST /api/v1/appeals/{appeal}/deposit":                    {rule: usr},
	"GET /api/v1/admin/appeals":                                {rule: srv},
	"GET /api/v1/admin/appeals/{appeal}/letter":                {rule: srv},
	"POST /api/v1/admin/appeals/{appeal}/approve":              {rule: srv},
	"POST /api/v1/admin/appeals/{appeal}/reject":               {rule: srv},

	// 费用中心 (billing, issue 18): the enterprise is the owner "ent:<id>" in the query or body.
	"GET /api/v1/billing/packages":              {rule: usr},
	"GET /api/v1/billing/balance":               {rule: mem, query: "owner=ent:{ent}"},
	"GET /api/v1/billing/ledger":                {rule: perm(org.PermBilling), query: "owner=ent:{ent}"},
	"POST /api/v1/billing/orders":               {rule: perm(org.PermBilling), body: `{"owner":"ent:{ent}"}`},
	"GET /api/v1/billing/orders":                {rule: perm(org.PermBilling), query: "owner=ent:{ent}"},
	"GET /api/v1/billing/orders/{id}":           {rule: usr},
	"POST /api/v1/billing/notify/{provider}":    {rule: pub},
	"POST /api/v1/billing/invoices":             {rule: perm(org.PermBilling), body: `{"owner":"ent:{ent}"}`},
	"GET /api/v1/billing/invoices":              {rule: perm(org.PermBilling), query: "owner=ent:{ent}"},
	"GET /api/v1/billing/invoices/{id}/receipt": {rule: usr},

	// Enterprise seals (issue 16): members list, apply, ask for a code and sign (the grant and the
	// code are checked after who the caller is); the three seal permissions do the rest.
	"GET /api/v1/enterprises/{id}/seals":                            {rule: mem},
	"POST /api/v1/enterprises/{id}/seals":                           {rule: perm(org.PermManageSeals)},
	"GET /api/v1/enterprises/{id}/seals/{seal}":                     {rule: mem},
	"GET /api/v1/enterprises/{id}/seals/{seal}/image":               {rule: mem},
	"POST /api/v1/enterprises/{id}/seals/{seal}/discard":            {rule: perm(org.PermManageSeals)},
	"GET /api/v1/enterprises/{id}/seals/{seal}/grants":              {rule: perm(org.PermGrantSeals)},
	"POST /api/v1/enterprises/{id}/seals/{seal}/grants":             {rule: perm(org.PermGrantSeals)},
	"PUT /api/v1/enterprises/{id}/seal-grants/{grant}":              {rule: perm(org.PermGrantSeals)},
	"POST /api/v1/enterprises/{id}/seal-grants/{grant}/revoke":      {rule: perm(org.PermGrantSeals)},
	"POST /api/v1/enterprises/{id}/seals/{seal}/applications":       {rule: mem},
	"GET /api/v1/enterprises/{id}/seal-applications":                {rule: mem},
	"POST /api/v1/enterprises/{id}/seal-applications/{app}/approve": {rule: perm(org.PermApproveSealUse)},
	"POST /api/v1/enterprises/{id}/seal-applications/{app}/reject":  {rule: perm(org.PermApproveSealUse)},
	"GET /api/v1/enterprises/{id}/seal-uses":                        {rule: perm(org.PermManageSeals)},
	"POST /api/v1/enterprises/{id}/seals/{seal}/codes":              {rule: mem},
	"POST /api/v1/enterprises/{id}/seals/{seal}/sign":               {rule: mem},

	// Contracts (issue 17): a person's own envelopes; sending for an enterprise needs
	// contracts.send (checked before anything else in the body).
	"PUT /api/v1/blobs":                                   {rule: usr},
	"POST /api/v1/envelopes":                              {rule: perm(org.PermSendContracts), body: `{"enterprise_id":"{ent}"}`},
	"GET /api/v1/envelopes":                               {rule: usr},
	"GET /api/v1/blobs/{sha256}":                          {rule: usr},
	"GET /api/v1/enterprises/{id}/envelopes":              {rule: perm(org.PermViewAllContracts)},
	"GET /api/v1/envelopes/counts":                        {rule: usr},
	"GET /api/v1/envelopes/quick-counts":                  {rule: usr}, // 首页 快捷入口 (issue 22)
	"GET /api/v1/envelopes/{id}":                          {rule: usr},
	"PUT /api/v1/envelopes/{id}":                          {rule: usr},
	"POST /api/v1/envelopes/{id}/send":                    {rule: usr},
	"POST /api/v1/envelopes/{id}/delete":                  {rule: usr},
	"GET /api/v1/envelopes/{id}/documents/{n}":            {rule: usr},
	"GET /api/v1/contacts":                                {rule: usr},
	"POST /api/v1/envelopes/{id}/documents/{n}/revisions": {rule: usr},
	"POST /api/v1/envelopes/{id}/decline":                 {rule: usr},
	"POST /api/v1/envelopes/{id}/withdraw":                {rule: usr},
	"POST /api/v1/envelopes/{id}/remind":                  {rule: usr},
	"GET /api/v1/envelopes/{id}/report":                   {rule: usr},
	"POST /api/v1/templates":                              {rule: usr},
	"GET /api/v1/templates":                               {rule: usr},
	"POST /api/v1/templates/{id}/delete":                  {rule: usr},
	"GET /v/{token}":                                      {rule: pub},

	// 审批管理 (issue 22, area approve): rules need approvals.manage, deciding approvals.approve
	// (being the rule's approver is checked after); members submit, read their boxes, withdraw.
	"GET /api/v1/approvals/count":                                 {rule: usr},
	"GET /api/v1/enterprises/{id}/approval-rules":                 {rule: perm(org.PermManageApprovals)},
	"POST /api/v1/enterprises/{id}/approval-rules":                {rule: perm(org.PermManageApprovals)},
	"PUT /api/v1/enterprises/{id}/approval-rules/{rule}":          {rule: perm(org.PermManageApprovals)},
	"DELETE /api/v1/enterprises/{id}/approval-rules/{rule}":       {rule: perm(org.PermManageApprovals)},
	"POST /api/v1/enterprises/{id}/approvals":                     {rule: mem},
	"GET /api/v1/enterprises/{id}/approvals":                      {rule: mem},
	"GET /api/v1/enterprises/{id}/approvals/{approval}":           {rule: mem},
	"POST /api/v1/enterprises/{id}/approvals/{approval}/approve":  {rule: perm(org.PermApproveContracts)},
	"POST /api/v1/enterprises/{id}/approvals/{approval}/reject":   {rule: perm(org.PermApproveContracts)},
	"POST /api/v1/enterprises/{id}/approvals/{approval}/withdraw": {rule: mem},
	// Open API for business systems (issue 21, area api): keys are managed with api.manage; the
	// /api/v1/open routes take a signed request, never a session.
	"GET /api/openapi.json":                               {rule: pub},
	"GET /api/v1/enterprises/{id}/api-keys":               {rule: perm(org.PermManageAPIKeys)},
	"POST /api/v1/enterprises/{id}/api-keys":              {rule: perm(org.PermManageAPIKeys), body: `{"name":"矩阵","scopes":["read"]}`},
	"POST /api/v1/enterprises/{id}/api-keys/{key}/revoke": {rule: perm(org.PermManageAPIKeys)},
	"POST /api/v1/open/envelopes":                         {rule: key},
	"GET /api/v1/open/envelopes/{id}":                     {rule: key},
	"POST /api/v1/open/envelopes/{id}/send":               {rule: key},
	"GET /api/v1/open/envelopes/{id}/events":              {rule: key},
	"GET /api/v1/open/envelopes/{id}/documents/{n}":       {rule: key},
	"GET /api/v1/open/envelopes/{id}/report":              {rule: key},
	"POST /api/v1/open/envelopes/{id}/withdraw":           {rule: key},
	// Parties without SealDesk (issue 21, area: web): the signing page and the phone pad are
	// public routes whose token (and the page session cookie behind the one-time code) is the
	// credential — core/websign's tests check the refusals; making a pad needs a session.
	"GET /web/{file}":                        {rule: pub},
	"GET /s/{token}":                         {rule: pub},
	"POST /s/{token}/code":                   {rule: pub},
	"POST /s/{token}/login":                  {rule: pub},
	"GET /s/{token}/state":                   {rule: pub},
	"GET /s/{token}/documents/{n}/pages/{p}": {rule: pub},
	"GET /s/{token}/logo":                    {rule: pub},
	"POST /s/{token}/decline":                {rule: pub},
	"POST /s/{token}/seal-code":              {rule: pub},
	"POST /s/{token}/sign":                   {rule: pub},
	"GET /p/{token}":                         {rule: pub},
	"POST /p/{token}":                        {rule: pub},
	"POST /api/v1/signature-pads":            {rule: usr},

	// 档案柜 (issue 22, area approve): folders are changed with archive.manage; members list,
	// search and export what their role may see (a folder they may not see: folder_forbidden).
	"GET /api/v1/enterprises/{id}/archive/folders":                 {rule: mem},
	"POST /api/v1/enterprises/{id}/archive/folders":                {rule: perm(org.PermManageArchive)},
	"PUT /api/v1/enterprises/{id}/archive/folders/{folder}":        {rule: perm(org.PermManageArchive)},
	"DELETE /api/v1/enterprises/{id}/archive/folders/{folder}":     {rule: perm(org.PermManageArchive)},
	"GET /api/v1/enterprises/{id}/archive/search":                  {rule: mem},
	"GET /api/v1/enterprises/{id}/archive/folders/{folder}/export": {rule: mem},
	// Accounts, 企业控制台 and the monthly report (area acct, issue 22): the console's changes are
	// 主管理员's and 子管理员's; what the home screen shows (console, report) any member's; the LOGO
	// is public for the browser signing page.
	"GET /api/v1/terms":                          {rule: pub},
	"POST /api/v1/auth/password/reset":           {rule: pub},
	"POST /api/v1/me/codes":                      {rule: usr},
	"PUT /api/v1/me/password":                    {rule: usr},
	"PUT /api/v1/me/second-check":                {rule: usr},
	"GET /api/v1/me/stats/monthly":               {rule: usr},
	"GET /api/v1/enterprises/{id}/console":       {rule: mem},
	"PUT /api/v1/enterprises/{id}/settings":      {rule: entAdmin},
	"PUT /api/v1/enterprises/{id}/logo":          {rule: entAdmin},
	"DELETE /api/v1/enterprises/{id}/logo":       {rule: entAdmin},
	"GET /api/v1/enterprises/{id}/stats/monthly": {rule: mem},
	// The LOGO: members read it; the signing page reaches only its sender's through the link.
	"GET /api/v1/enterprises/{id}/logo": {rule: mem},
}

// denyCodes are the codes of a refusal for who the caller is.
var denyCodes = map[string]bool{"not_member": true, "member_disabled": true, "permission_denied": true, "forbidden": true, "forbidden_scope": true, "forbidden_owner": true, "owner_only": true}

var entParamRE = regexp.MustCompile(`\{(id|ent|enterprise|enterprise_id)\}`)

// matrixCaller is one kind of caller.
type matrixCaller struct {
	name  string
	token string
	// allowed says whether a rule lets this caller through.
	allowed func(r matrixRule) bool
}

func TestPermissionMatrix(t *testing.T) {
	s := newTestServer(t)
	ctx := context.Background()
	st := s.opts.Store
	tok := map[string]string{}
	acct := map[string]string{}
	for i, name := range []string{"owner", "subadmin", "custom", "member", "other", "disabled", "stranger", "reviewer"} {
		tok[name] = sessionFor(t, s, fmt.Sprintf("1380000%04d", i), name == "reviewer")
		a, _, err := s.org.Authenticate(ctx, tok[name])
		if err != nil {
			t.Fatal(err)
		}
		acct[name] = a.ID
	}
	code := func(body string) string {
		c, err := ids.CreditCheck(body)
		if err != nil {
			t.Fatal(err)
		}
		return body + string(c)
	}
	ent, err := s.org.CreateEnterprise(ctx, acct["owner"], "矩阵测试有限公司", code("91440300MA5FMX001"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.org.CreateEnterprise(ctx, acct["other"], "另一家有限公司", code("91440300MA5FMX002")); err != nil {
		t.Fatal(err)
	}
	// Roles: for each permission, one with only it and one with every other.
	roleWith, roleWithout := map[org.Permission]string{}, map[org.Permission]string{}
	err = st.Update(ctx, func(tx sync.Tx) error {
		for i, p := range org.AllPermissions {
			var rest []org.Permission
			for _, q := range org.AllPermissions {
				if q != p {
					rest = append(rest, q)
				}
			}
			roleWith[p], roleWithout[p] = fmt.Sprintf("r_with%d", i), fmt.Sprintf("r_without%d", i)
			if err := org.PutRole(tx, ent.ID, org.Role{ID: roleWith[p], Name: "有" + p.Label(), Permissions: []org.Permission{p}}); err != nil {
				return err
			}
			if err := org.PutRole(tx, ent.ID, org.Role{ID: roleWithout[p], Name: "无" + p.Label(), Permissions: rest}); err != nil {
				return err
			}
		}
		if err := org.PutRole(tx, ent.ID, org.Role{ID: "r_all", Name: "全部权限", Permissions: org.AllPermissions}); err != nil {
			return err
		}
		for name, role := range map[string]string{"subadmin": org.RoleAdmin, "custom": "r_all", "member": org.RoleMember, "disabled": org.RoleAdmin} {
			m := org.Member{EnterpriseID: ent.ID, AccountID: acct[name], Name: name, Role: role, Disabled: name == "disabled", Joined: time.Now()}
			if err := org.PutMember(tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	setCustomRole := func(role string) {
		err := st.Update(ctx, func(tx sync.Tx) error {
			m, err := org.GetMember(tx, ent.ID, acct["custom"])
			if err != nil {
				return err
			}
			m.Role = role
			return org.PutMember(tx, m)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	entRule := func(r matrixRule) bool { return r.kind == "pub" || r.kind == "usr" }
	callers := []matrixCaller{
		{"owner", tok["owner"], func(r matrixRule) bool { return r.kind != "srv" }},
		{"subadmin", tok["subadmin"], func(r matrixRule) bool { return r.kind != "srv" && r.kind != "owner" }},
		{"member", tok["member"], func(r matrixRule) bool { return entRule(r) || r.kind == "mem" }},
		{"other-enterprise owner", tok["other"], entRule},
		{"disabled subadmin", tok["disabled"], entRule},
		{"stranger", tok["stranger"], entRule},
		{"server reviewer", tok["reviewer"], func(r matrixRule) bool { return entRule(r) || r.kind == "srv" }},
	}
	call := func(method, pattern string, row matrixRow, token string) (int, string) {
		path := entParamRE.ReplaceAllString(pattern, ent.ID)
		path = paramRE.ReplaceAllString(path, "x")
		if row.query != "" {
			path += "?" + strings.ReplaceAll(row.query, "{ent}", ent.ID)
		}
		body := row.body
		if body == "" {
			body = "{}"
		}
		req := httptest.NewRequest(method, path, strings.NewReader(strings.ReplaceAll(body, "{ent}", ent.ID)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("matrix-%d", time.Now().UnixNano()))
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		var eb struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal(w.Body.Bytes(), &eb)
		return w.Code, eb.Error.Code
	}
	check := func(key string, row matrixRow, who string, token string, want bool) {
		t.Helper()
		method, pattern, _ := strings.Cut(key, " ")
		status, code := call(method, pattern, row, token)
		denied := status == http.StatusForbidden && denyCodes[code]
		switch {
		case status == http.StatusUnauthorized:
			t.Errorf("%s as %s: 401 %s", key, who, code)
		case want && denied:
			t.Errorf("%s as %s: refused (%d %s), the matrix allows it", key, who, status, code)
		case !want && !denied:
			t.Errorf("%s as %s: answered %d %s, the matrix refuses it", key, who, status, code)
		}
	}
	routed := map[string]bool{}
	checked := 0
	routes := slices.Clone(s.routes)
	sort.SliceStable(routes, func(i, j int) bool {
		return !permissionMatrix[routes[i].method+" "+routes[i].pattern].last && permissionMatrix[routes[j].method+" "+routes[j].pattern].last
	})
	for _, rt := range routes {
		key := rt.method + " " + rt.pattern
		routed[key] = true
		row, ok := permissionMatrix[key]
		if !ok {
			t.Errorf("route %s has no row in the permission matrix (core/server/permmatrix_test.go): add one", key)
			continue
		}
		if (rt.access == public) != (row.rule.kind == "pub") || (rt.access == admin) != (row.rule.kind == "srv") {
			t.Errorf("route %s: the router's access level and the matrix's rule %q disagree", key, row.rule.kind)
			continue
		}
		if row.rule.kind == "pub" {
			continue
		}
		if (rt.access == integrator) != (row.rule.kind == "key") {
			t.Errorf("route %s: the router's access level and the matrix's rule %q disagree", key, row.rule.kind)
			continue
		}
		if row.rule.kind == "key" {
			for _, c := range callers {
				if status, code := call(rt.method, rt.pattern, row, c.token); status != http.StatusUnauthorized || code != "signature_missing" {
					t.Errorf("%s with the session of %s: %d %s, want 401 signature_missing", key, c.name, status, code)
				}
				checked++
			}
			continue
		}
		for _, c := range callers {
			check(key, row, c.name, c.token, c.allowed(row.rule))
			checked++
		}
		// The custom role: with the permission (or every permission) and without it.
		switch row.rule.kind {
		case "perm":
			setCustomRole(roleWith[row.rule.perm])
			check(key, row, "custom role with "+string(row.rule.perm), tok["custom"], true)
			setCustomRole(roleWithout[row.rule.perm])
			check(key, row, "custom role with all but "+string(row.rule.perm), tok["custom"], false)
		default:
			setCustomRole("r_all")
			check(key, row, "custom role with every permission", tok["custom"], row.rule.kind != "srv" && row.rule.kind != "entAdmin" && row.rule.kind != "owner")
		}
	}
	var stale []string
	for k := range permissionMatrix {
		if !routed[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("matrix rows without a route (remove them): %v", stale)
	}
	if checked < 200 {
		t.Errorf("only %d checks made", checked)
	}
}
