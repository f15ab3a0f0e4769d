package events

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// JWKSPath is where the public keys that verify SETs are served.
const JWKSPath = "/.well-known/scim-events/jwks.json"

// DefaultKeyGrace is how long a rotated-out signing key stays in the JWKS:
// long enough for receivers to refetch, and for SETs signed just before
// the rotation to be retried and verified.
const DefaultKeyGrace = 7 * 24 * time.Hour

// keyTTL is how long a Keys reuses what it read: after a rotation on
// another instance, this one signs with the old key for at most that long,
// which receivers still verify (it stays published).
const keyTTL = time.Second

// signingAlg is the JWS algorithm of the keys roster makes: ECDSA P-256
// with SHA-256 (RFC 7518 §3.4), short signatures and keys, and in the
// standard library.
const signingAlg = "ES256"

// Keys signs Security Event Tokens with the store's current key, making
// one the first time none exists, and serves the published public keys as
// a JWKS. It is safe for concurrent use.
type Keys struct {
	Store store.SigningKeyStore
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu      sync.Mutex
	read    time.Time
	current *signer
	public  []byte // JWKS document
}

// signer is a parsed signing key.
type signer struct {
	kid string
	key *ecdsa.PrivateKey
}

func (k *Keys) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

// NewSigningKey makes a P-256 key for the store, named by its RFC 7638
// thumbprint.
func NewSigningKey() (store.SigningKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("make signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encode signing key: %w", err)
	}
	x, y, err := coords(&priv.PublicKey)
	if err != nil {
		return store.SigningKey{}, err
	}
	return store.SigningKey{ID: thumbprint(x, y), Algorithm: signingAlg, PrivateKey: der}, nil
}

// jwk is a public EC key as RFC 7517 writes it.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// coords returns the "x" and "y" of a P-256 public key (RFC 7518 §6.2.1):
// the base64url of its 32-byte coordinates, from the uncompressed point
// 0x04 || X || Y.
func coords(pub *ecdsa.PublicKey) (x, y string, err error) {
	b, err := pub.Bytes()
	if err != nil || len(b) != 65 {
		return "", "", fmt.Errorf("encode public key: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[1:33]), base64.RawURLEncoding.EncodeToString(b[33:]), nil
}

// thumbprint is the RFC 7638 thumbprint of a P-256 public key: SHA-256 of
// its required members in lexical order, without spaces.
func thumbprint(x, y string) string {
	canon := `{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func parseKey(k store.SigningKey) (*signer, error) {
	if k.Algorithm != signingAlg {
		return nil, fmt.Errorf("signing key %s: algorithm %q is not %s", k.ID, k.Algorithm, signingAlg)
	}
	p, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	ec, ok := p.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("signing key %s is not a P-256 key", k.ID)
	}
	return &signer{kid: k.ID, key: ec}, nil
}

// load reads the keys if what was read is older than keyTTL, making the
// first key if the store has none.
func (k *Keys) load(ctx context.Context) (*signer, []byte, error) {
	if k == nil || k.Store == nil {
		return nil, nil, errors.New("scim events: no signing keys configured")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if k.current != nil && now.Sub(k.read) < keyTTL && !now.Before(k.read) {
		return k.current, k.public, nil
	}
	list, err := k.Store.ListSigningKeys(ctx, now)
	if err != nil {
		return nil, nil, err
	}
	if len(list) == 0 || !list[0].RetiredAt.IsZero() {
		fresh, err := NewSigningKey()
		if err != nil {
			return nil, nil, err
		}
		if _, err := k.Store.EnsureSigningKey(ctx, fresh); err != nil {
			return nil, nil, err
		}
		if list, err = k.Store.ListSigningKeys(ctx, now); err != nil {
			return nil, nil, err
		}
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	var cur *signer
	for i, sk := range list {
		s, err := parseKey(sk)
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			cur = s
		}
		x, y, err := coords(&s.key.PublicKey)
		if err != nil {
			return nil, nil, err
		}
		set.Keys = append(set.Keys, jwk{Kty: "EC", Crv: "P-256", X: x, Y: y, Kid: s.kid, Use: "sig", Alg: signingAlg})
	}
	if cur == nil {
		return nil, nil, errors.New("scim events: no current signing key")
	}
	doc, err := json.Marshal(set)
	if err != nil {
		return nil, nil, fmt.Errorf("encode JWKS: %w", err)
	}
	k.current, k.public, k.read = cur, doc, now
	return cur, doc, nil
}

// Rotate makes a new current key and keeps the old one published for grace
// (DefaultKeyGrace when 0). Every instance signs with the new key within
// keyTTL.
func (k *Keys) Rotate(ctx context.Context, grace time.Duration) (kid string, err error) {
	if grace == 0 {
		grace = DefaultKeyGrace
	}
	if grace < 0 || grace > 90*24*time.Hour {
		return "", fmt.Errorf("grace period %s: use 0 to 90 days", grace)
	}
	if _, _, err := k.load(ctx); err != nil { // there is a key to retire
		return "", err
	}
	nk, err := NewSigningKey()
	if err != nil {
		return "", err
	}
	if err := k.Store.RotateSigningKey(ctx, nk, k.now().Add(grace)); err != nil {
		return "", err
	}
	k.mu.Lock()
	k.current = nil
	k.mu.Unlock()
	return nk.ID, nil
}

// sign returns the JWS compact serialization (RFC 7515 §7.1) of claims,
// with the header RFC 8417 §2.3 recommends: typ "secevent+jwt".
func (k *Keys) sign(ctx context.Context, claims []byte) (string, error) {
	s, _, err := k.load(ctx)
	if err != nil {
		return "", err
	}
	header, err := json.Marshal(map[string]string{"alg": signingAlg, "typ": "secevent+jwt", "kid": s.kid})
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	sum := sha256.Sum256([]byte(input))
	r, ss, err := ecdsa.Sign(rand.Reader, s.key, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign SET: %w", err)
	}
	// RFC 7518 §3.4: R and S as 32-byte big-endian integers, concatenated.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// JWKSHandler serves the published public keys at JWKSPath, without
// authentication (they are public), cacheable for a few minutes: a
// rotation keeps the old key published far longer than that.
type JWKSHandler struct {
	Keys *Keys
}

// Mount registers the JWKS route.
func (h *JWKSHandler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+JWKSPath, h.serve)
}

func (h *JWKSHandler) serve(w http.ResponseWriter, r *http.Request) {
	_, doc, err := h.Keys.load(r.Context())
	if err != nil {
		http.Error(w, "signing keys are unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(doc) //nolint:errcheck // the client went away
}
