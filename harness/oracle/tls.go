package oracle

// plainTCP: on a bench whose host serves TLS only, no connection to it
// may begin in plain TCP, whatever the outcome (a terminal that falls
// back from a failed TLS handshake to plain TCP has sent card data in
// clear).
func (j *judge) plainTCP() {
	h := j.log.Host
	if h == nil || !h.TLS || h.Plain == 0 {
		return
	}
	j.fail(j.exp.At.Outcome, "host tls", "the terminal connected to the host in plain TCP %d time(s); the host serves TLS only (a fallback from TLS to plain TCP)", h.Plain)
}
