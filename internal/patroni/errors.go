package patroni

// Kind classifies what went wrong with Patroni's REST API.
type Kind int

const (
	// KindUnreachable: no member answered (network, TLS, 5xx).
	KindUnreachable Kind = iota
	// KindUnauthorized: 401 or 403: credentials, allowlist or client
	// certificate.
	KindUnauthorized
	// KindRefused: any other refusal, or settings slotkeeper will not use.
	KindRefused
)

// Error is a failed call; Message never holds the credentials.
type Error struct {
	Kind    Kind
	Code    int
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }
