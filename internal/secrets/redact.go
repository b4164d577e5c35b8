package secrets

import "log/slog"

// redacted is what a String shows instead of its value.
const redacted = "[REDACTED]"

// String is a secret string (a secret access key, a password, a TOTP seed). Printing, logging or encoding
// it shows "[REDACTED]"; Reveal returns the value where it is really needed.
type String string

// Reveal returns the secret value.
func (s String) Reveal() string { return string(s) }

// String implements fmt.Stringer (also used by %v, %s and %q).
func (String) String() string { return redacted }

// GoString implements fmt.GoStringer (%#v).
func (String) GoString() string { return redacted }

// LogValue implements slog.LogValuer.
func (String) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText keeps secrets out of JSON, XML and other text encodings.
func (String) MarshalText() ([]byte, error) { return []byte(redacted), nil }
