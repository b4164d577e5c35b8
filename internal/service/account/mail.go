package account

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Mailer delivers a short text message to one address.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// SMTPMailer sends mail through an SMTP server with net/smtp: STARTTLS when the server offers it, and
// PLAIN authentication when the URL has a user (net/smtp sends credentials only over TLS or to localhost).
type SMTPMailer struct {
	addr, host, from string
	auth             smtp.Auth
	// TLSConfig is used for STARTTLS; nil verifies the server's certificate against the system roots.
	TLSConfig *tls.Config
	// Now dates the messages; nil is time.Now.
	Now func() time.Time
}

// NewSMTPMailer parses an smtp://[user[:password]@]host[:port]?from=address URL (port 25 by default).
func NewSMTPMailer(raw string) (*SMTPMailer, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// Not wrapped: url's error quotes the URL, password included.
		return nil, errors.New("smtp url: not a valid URL")
	}
	if u.Scheme != "smtp" {
		return nil, fmt.Errorf("smtp url: scheme %q, want smtp", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return nil, errors.New("smtp url: no host")
	}
	port := u.Port()
	if port == "" {
		port = "25"
	}
	from := u.Query().Get("from")
	if a, err := mail.ParseAddress(from); err != nil || a.Address != from {
		return nil, fmt.Errorf("smtp url: from=%q is not an e-mail address", from)
	}
	m := &SMTPMailer{addr: net.JoinHostPort(host, port), host: host, from: from}
	if u.User != nil && u.User.Username() != "" {
		pw, _ := u.User.Password()
		m.auth = smtp.PlainAuth("", u.User.Username(), pw, host)
	}
	return m, nil
}

// Send delivers one message, within smtpTimeout.
func (m *SMTPMailer) Send(ctx context.Context, to, subject, body string) error {
	ctx, cancel := context.WithTimeout(ctx, smtpTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := m.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	}
	if m.auth != nil {
		if err := c.Auth(m.auth); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(m.from); err != nil {
		return fmt.Errorf("smtp mail from: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtp rcpt to: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	msg := "From: " + m.from + "\r\nTo: " + to + "\r\nSubject: " + subject +
		"\r\nDate: " + now().UTC().Format(time.RFC1123Z) +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	return c.Quit()
}
