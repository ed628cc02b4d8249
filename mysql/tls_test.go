package mysql_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/mysql"
)

// TestTLS: with Config.TLS, the snapshot (which reads its rows off the socket itself)
// and the binlog stream both work over TLS, for a user the server lets in only over
// TLS; without it, that user is refused.
func TestTLS(t *testing.T) {
	needOwnServer(t, "starts a server with its own certificate")
	dir := t.TempDir()
	pool := writeCerts(t, dir)
	m := testdb.NewMariaDB(t, testdb.MariaDBOptions{Args: []string{
		"--ssl-ca=" + filepath.Join(dir, "ca.pem"), "--ssl-cert=" + filepath.Join(dir, "server.pem"),
		"--ssl-key=" + filepath.Join(dir, "server-key.pem")}})
	c := dial(t, m)
	db := newDB(t, m, "tls")
	run(t, c,
		"CREATE USER tlsuser@'%' IDENTIFIED BY 'secret' REQUIRE SSL",
		"GRANT ALL PRIVILEGES ON *.* TO tlsuser@'%'",
		"CREATE TABLE "+db+".t (id INT PRIMARY KEY, s VARCHAR(40))",
		insertSeq(db+".t", "seq, CONCAT('row ', seq)", 1, 5000))
	cfg := mysql.Config{Addr: m.Addr, User: "tlsuser", Password: "secret", Databases: []string{db}, HeartbeatPeriod: time.Second}

	plain, err := mysql.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st, err := plain.Open(ctx, cdc.OpenRequest{Name: "plain"}); err == nil {
		st.Close()
		t.Fatal("a user that requires SSL connected without TLS: the test would prove nothing")
	}

	cfg.TLS = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	src, err := mysql.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := cdc.NewEngine(src)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := dial(t, m)
	reads, creates := 0, 0
	err = eng.Run(ctx, func(_ context.Context, ev cdc.Event) error {
		switch ev.Op {
		case cdc.OpRead:
			if reads++; reads == 5000 {
				// The snapshot is read: write what the stream must deliver.
				go func() {
					if _, err := w.Execute(insertSeq(db+".t", "seq, 'streamed'", 5001, 5100)); err != nil {
						t.Errorf("insert: %v", err)
						cancel()
					}
				}()
			}
		case cdc.OpCreate:
			if s, _ := ev.After.Get("s"); s != "streamed" {
				t.Errorf("streamed row %v", ev.After)
			}
			if creates++; creates == 100 {
				cancel()
			}
		}
		return nil
	})
	if reads != 5000 || creates != 100 {
		t.Fatalf("over TLS: %d snapshot rows (want 5000), %d streamed (want 100); Run: %v", reads, creates, err)
	}
}

// writeCerts writes a CA and a server certificate for localhost and 127.0.0.1 into
// dir (ca.pem, server.pem, server-key.pem) and returns a pool with the CA.
func writeCerts(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tributary test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.pem", "CERTIFICATE", caDER)
	write("server.pem", "CERTIFICATE", der)
	write("server-key.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool
}
