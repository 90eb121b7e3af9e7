// Package enterprisewin walks the desktop's way into an enterprise in a real window under Xvfb,
// against a real server on loopback (--dev, its own CA): 设置 › 服务器 (confirm the CA's
// fingerprint), 注册 with a one-time code, 企业 › 创建企业, the invitation QR code on screen, a
// colleague joining through the link, 待审核成员 › 同意; then the server stops (离线, a change
// waiting) and comes back (caught up). With SEALDESK_SHOTS=DIR it writes pictures of each step
// in Chinese and English at 1366×768 and 1024×640; give Xvfb a screen larger than the window:
//
//	SEALDESK_SHOTS=/tmp/shots xvfb-run -a -s "-screen 0 1600x1000x24" go test ./ui/internal/enterprisewin/
//
// It has only tests. Without a DISPLAY they skip (CI runs them under xvfb-run, where a missing
// display is a failure).
package enterprisewin
