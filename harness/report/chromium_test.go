package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chromium finds a headless browser; without one the test skips, unless
// CI is set.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on CI: apt-get install -y chromium")
	}
	t.Skip("chromium not installed")
	return ""
}

// runChromium loads file:// path headless with extra (--dump-dom or
// --screenshot=...) and returns stdout and stderr; the browser's whole
// process group is killed if it outlives the deadline.
func runChromium(t *testing.T, bin, path string, extra ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir(),
		"--enable-logging=stderr", "--v=0", "--window-size=1280,1500"}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+path)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	return out.String(), errb.String()
}

// TestReportInChromium loads the report in headless Chromium: no console
// error (an uncaught exception, a refused load), and the script ran (it
// fills in how many scenarios are shown). With POSHIL_SCREENSHOT=FILE it
// also saves a screenshot there (docs/report.png is made that way).
func TestReportInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	r := sampleRecord()
	if err := WritePcaps(dir, &r); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.html")
	if err := WriteHTMLFile(path, r); err != nil {
		t.Fatal(err)
	}
	dom, logs := runChromium(t, bin, path, "--dump-dom")
	if m := regexp.MustCompile(`(?m)^.*(CONSOLE|Uncaught|Refused to).*$`).FindAllString(logs, -1); len(m) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(m, "\n"))
	}
	if !strings.Contains(dom, `id="shown">4 of 4 shown<`) {
		t.Errorf("the report's script did not run (no count of shown scenarios)")
	}
	if shot := os.Getenv("POSHIL_SCREENSHOT"); shot != "" {
		// Show one decoded record, as a reader would open it.
		data, _ := os.ReadFile(path)
		page := strings.Replace(string(data), "<details><summary>READ RECORD SFI 1", "<details open><summary>READ RECORD SFI 1", 1)
		shotPage := filepath.Join(dir, "shot.html")
		os.WriteFile(shotPage, []byte(page), 0o644)
		abs, _ := filepath.Abs(shot)
		runChromium(t, bin, shotPage, "--screenshot="+abs)
		if st, err := os.Stat(abs); err != nil || st.Size() == 0 {
			t.Errorf("no screenshot at %s: %v", abs, err)
		}
	}
}
