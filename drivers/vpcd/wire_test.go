package vpcd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func TestFrames(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    []byte
		wantErr bool
	}{
		{"control byte", []byte{0x04}, []byte{0x00, 0x01, 0x04}, false},
		{"APDU", []byte{0x00, 0xA4, 0x04, 0x00}, []byte{0x00, 0x04, 0x00, 0xA4, 0x04, 0x00}, false},
		{"300 bytes", make([]byte, 300), append([]byte{0x01, 0x2C}, make([]byte, 300)...), false},
		{"empty is never sent", nil, nil, true},
		{"too long", make([]byte, 0x10000), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := appendFrame(nil, tc.payload)
			if (err != nil) != tc.wantErr {
				t.Fatalf("appendFrame err %v", err)
			}
			if tc.wantErr {
				if !errors.Is(err, ErrFrame) {
					t.Errorf("err %v, want ErrFrame", err)
				}
				return
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("framed % X, want % X", got, tc.want)
			}
			back, err := readFrame(bufio.NewReader(bytes.NewReader(got)), nil)
			if err != nil || !bytes.Equal(back, tc.payload) {
				t.Errorf("readFrame: % X, %v", back, err)
			}
		})
	}
}

func TestReadFrameTruncated(t *testing.T) {
	for _, in := range [][]byte{{0x00}, {0x00, 0x05, 0x01, 0x02}} {
		_, err := readFrame(bufio.NewReader(bytes.NewReader(in)), nil)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("% X: %v, want unexpected EOF", in, err)
		}
	}
}

// echoCard answers every APDU with its header and 90 00.
type echoCard struct{ atr []byte }

func (c *echoCard) ATR() []byte      { return c.atr }
func (c *echoCard) Power(PowerEvent) {}
func (c *echoCard) Transmit(_ context.Context, capdu []byte) ([]byte, error) {
	return append(append([]byte(nil), capdu[:min(4, len(capdu))]...), 0x90, 0x00), nil
}

// frameChecker fails the test on any frame that is not well formed.
type frameChecker struct{ t *testing.T }

func (w frameChecker) Write(p []byte) (int, error) {
	if len(p) < 3 || int(binary.BigEndian.Uint16(p)) != len(p)-2 {
		w.t.Fatalf("bad frame written: % X", p)
	}
	return len(p), nil
}

// FuzzServe feeds arbitrary bytes from "vpcd" to the serving loop: it must
// end without panic and write only well-formed, non-empty frames.
func FuzzServe(f *testing.F) {
	f.Add([]byte{0x00, 0x01, 0x04})
	f.Add([]byte{0x00, 0x01, 0x01, 0x00, 0x01, 0x04, 0x00, 0x05, 0x00, 0xA4, 0x04, 0x00, 0x00})
	f.Add([]byte{0x00, 0x00, 0x00, 0x01, 0x09, 0x00, 0x01, 0x02})
	f.Add([]byte{0xFF, 0xFF, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, atr := range [][]byte{{0x3B, 0x00}, nil} {
			err := serve(context.Background(), bufio.NewReader(bytes.NewReader(in)), frameChecker{t}, &echoCard{atr: atr})
			if err == nil {
				t.Fatal("serve returned nil")
			}
		}
	})
}
