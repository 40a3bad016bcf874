package main

import "flag"

// upstreamConfig is the live server record and verify call, and how to
// reach it.
type upstreamConfig struct {
	upstream           string
	upstreamTLS        bool
	upstreamCA         string
	upstreamServerName string
	upstreamCert       string
	upstreamKey        string
}

// registerUpstream registers --upstream (with usage) and its TLS flags.
func (c *upstreamConfig) registerUpstream(fs *flag.FlagSet, usage string) {
	fs.StringVar(&c.upstream, "upstream", "", usage)
	fs.BoolVar(&c.upstreamTLS, "upstream-tls", false, "use TLS to reach --upstream")
	fs.StringVar(&c.upstreamCA, "upstream-ca", "", "PEM `FILE` of CAs to trust for --upstream (implies --upstream-tls)")
	fs.StringVar(&c.upstreamServerName, "upstream-server-name", "", "TLS server `NAME` to verify for --upstream (implies --upstream-tls)")
	fs.StringVar(&c.upstreamCert, "upstream-cert", "", "PEM client certificate `FILE` to present to --upstream, for mutual TLS (needs --upstream-key; implies --upstream-tls)")
	fs.StringVar(&c.upstreamKey, "upstream-key", "", "PEM private key `FILE` for --upstream-cert")
}

func (c *upstreamConfig) upstreamPeer() peerTLS {
	return peerTLS{flag: "--upstream", tls: c.upstreamTLS, ca: c.upstreamCA, serverName: c.upstreamServerName, cert: c.upstreamCert, key: c.upstreamKey}
}
