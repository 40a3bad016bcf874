package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// serverTLS builds the serving TLS configuration, or nil for plaintext.
func (c *commonConfig) serverTLS() (*tls.Config, error) {
	if c.tlsCert == "" {
		return nil, nil
	}
	cert, err := loadKeyPair("--tls-cert", c.tlsCert, "--tls-key", c.tlsKey)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.tlsClientCA != "" {
		pool, err := loadPool("--tls-client-ca", c.tlsClientCA)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

func loadPool(flagName, path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flagName, path, errors.Unwrap(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s %s: no PEM certificate found", flagName, path)
	}
	return pool, nil
}

// loadKeyPair loads a PEM certificate and its key. The files are read one
// by one so that an unreadable file is blamed on its own flag; what is wrong
// with the pair (not PEM, a key that is not the certificate's) names both.
func loadKeyPair(certFlag, certFile, keyFlag, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s %s: %w", certFlag, certFile, errors.Unwrap(err))
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s %s: %w", keyFlag, keyFile, errors.Unwrap(err))
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s %s / %s %s: %w", certFlag, certFile, keyFlag, keyFile, err)
	}
	return cert, nil
}

// peerTLS is how to reach a server we call (the --reflect server or the
// --upstream): the values of its flags, all named after flag.
type peerTLS struct {
	flag       string // "--reflect" or "--upstream"
	tls        bool   // <flag>-tls
	ca         string // <flag>-ca
	serverName string // <flag>-server-name
	cert, key  string // <flag>-cert, <flag>-key: the client certificate
}

// pairError says when only one of the client certificate and its key was
// given.
func (p peerTLS) pairError() error {
	if (p.cert == "") != (p.key == "") {
		return fmt.Errorf("%s-cert and %s-key go together; give both or neither", p.flag, p.flag)
	}
	return nil
}

// dialOptions are the transport credentials to reach p. Any of its TLS
// flags turns TLS on: a CA, a name to verify or a client certificate only
// mean something over TLS, and quietly dialling plaintext instead would
// fail far from the cause.
func dialOptions(p peerTLS) ([]grpc.DialOption, error) {
	if !p.tls && p.ca == "" && p.serverName == "" && p.cert == "" && p.key == "" {
		return []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: p.serverName}
	if p.ca != "" {
		pool, err := loadPool(p.flag+"-ca", p.ca)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if p.cert != "" || p.key != "" {
		cert, err := loadKeyPair(p.flag+"-cert", p.cert, p.flag+"-key", p.key)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(cfg))}, nil
}
