package testcerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Set is a CA with one server and one client certificate it signed.
type Set struct {
	CAPEM         []byte
	ServerCertPEM []byte
	ServerKeyPEM  []byte
	ClientCertPEM []byte
	ClientKeyPEM  []byte
	CAPool        *x509.CertPool
	ServerCert    tls.Certificate
	ClientCert    tls.Certificate
	ServerName    string // a name the server certificate holds
	caCert        *x509.Certificate
	caKey         *ecdsa.PrivateKey
}

// New makes a fresh set, valid for a day.
func New() (*Set, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "grpcdouble test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	s := &Set{caCert: caCert, caKey: caKey, ServerName: "localhost", CAPool: x509.NewCertPool()}
	s.CAPool.AddCert(caCert)
	s.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})

	s.ServerCertPEM, s.ServerKeyPEM, err = s.leaf(2, "localhost", x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	s.ClientCertPEM, s.ClientKeyPEM, err = s.leaf(3, "grpcdouble test client", x509.ExtKeyUsageClientAuth)
	if err != nil {
		return nil, err
	}
	if s.ServerCert, err = tls.X509KeyPair(s.ServerCertPEM, s.ServerKeyPEM); err != nil {
		return nil, err
	}
	if s.ClientCert, err = tls.X509KeyPair(s.ClientCertPEM, s.ClientKeyPEM); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Set) leaf(serial int64, cn string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	if usage == x509.ExtKeyUsageServerAuth {
		tmpl.DNSNames = []string{"localhost", "bufconn"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.caCert, &key.PublicKey, s.caKey)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// ServerTLS is a server configuration; with mutual set it demands a client
// certificate signed by the CA.
func (s *Set) ServerTLS(mutual bool) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{s.ServerCert}, MinVersion: tls.VersionTLS12}
	if mutual {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = s.CAPool
	}
	return cfg
}

// ClientTLS is a client configuration trusting the CA; with mutual set it
// presents the client certificate.
func (s *Set) ClientTLS(mutual bool) *tls.Config {
	cfg := &tls.Config{RootCAs: s.CAPool, ServerName: s.ServerName, MinVersion: tls.VersionTLS12}
	if mutual {
		cfg.Certificates = []tls.Certificate{s.ClientCert}
	}
	return cfg
}

// Files are the paths WriteFiles wrote.
type Files struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
}

// WriteFiles writes the set as PEM files into dir.
func (s *Set) WriteFiles(dir string) (Files, error) {
	f := Files{
		CA:         filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"),
		ServerKey:  filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"),
		ClientKey:  filepath.Join(dir, "client-key.pem"),
	}
	for path, data := range map[string][]byte{
		f.CA: s.CAPEM, f.ServerCert: s.ServerCertPEM, f.ServerKey: s.ServerKeyPEM,
		f.ClientCert: s.ClientCertPEM, f.ClientKey: s.ClientKeyPEM,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return Files{}, fmt.Errorf("testcerts: %w", err)
		}
	}
	return f, nil
}
