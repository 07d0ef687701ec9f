package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Chromium returns the path of the Chromium binary. Without one it skips
// the test, unless the environment variable CI is set: then it fails.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("browsertest: chromium is not installed but CI is set (apt-get install -y chromium)")
	}
	t.Skip("browsertest: chromium is not installed")
	return ""
}

// Options configure one browser profile.
type Options struct {
	// Width and Height of the window; 0 means 375x667, a narrow phone.
	Width, Height int
	// Video is a Y4M file the fake camera plays (see WriteY4M); empty
	// means Chromium's built-in test pattern.
	Video string
	// Timeout bounds the whole browser; 0 means 3 minutes.
	Timeout time.Duration
	// ExtraFlags are added to the command line.
	ExtraFlags map[string]any
	// Throttle, if set, slows the tab's CPU and network down from the
	// start (see SlowPhone).
	Throttle *Throttle
}

// A Throttle is a CPU slowdown and a network profile, emulated through CDP
// (Emulation.setCPUThrottlingRate, Network.emulateNetworkConditionsByRule).
// The network conditions apply to the tab's requests, not to those a
// service worker makes itself.
type Throttle struct {
	CPU       float64 // slowdown factor, 1 is none
	DownBytes float64 // download bytes per second
	UpBytes   float64 // upload bytes per second
	LatencyMS float64 // minimum latency of each request
}

// SlowPhone is an older, cheaper phone on a slow mobile network: a CPU 4
// times slower than the test machine's and Lighthouse's "slow 4G" mobile
// profile, 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency.
var SlowPhone = &Throttle{CPU: 4, DownBytes: 1.6e6 / 8, UpBytes: 750e3 / 8, LatencyMS: 150}

// Apply sets the throttling on the tab of ctx.
func (th *Throttle) Apply() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: th.CPU}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		return emulateNetwork(ctx, false, nil, &network.Conditions{Latency: th.LatencyMS, DownloadThroughput: th.DownBytes, UploadThroughput: th.UpBytes})
	})
}

// attachWorkers makes the tab's network conditions (Throttle, Offline)
// apply to its dedicated workers' requests too: a worker starts paused
// (Target.setAutoAttach with waitForDebuggerOnStart), gets a session with
// the Network domain enabled, under which Chromium treats its requests like
// the tab's, and then runs. Without that session a worker's requests are
// neither throttled nor cut off. CPU throttling cannot be had for a worker
// (Emulation.setCPUThrottlingRate: "only supported for pages"): its code
// runs at the machine's speed. The worker's console goes to the test log.
func attachWorkers(t testing.TB, ctx context.Context) error {
	chromedp.Listen(ctx, func(ev any) {
		e, ok := ev.(*target.EventAttachedToTarget)
		if !ok || !e.WaitingForDebugger {
			return
		}
		go func() {
			wctx, _ := chromedp.NewContext(ctx, chromedp.WithTargetID(e.TargetInfo.TargetID))
			chromedp.Listen(wctx, func(ev any) { logEvent(t, ev) })
			if err := chromedp.Do(wctx, chromedp.Func(func(c context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(c, runtime.RunIfWaitingForDebugger, cdp.Empty{})
				return err
			})); err != nil && ctx.Err() == nil {
				t.Logf("browsertest: %s target %s: %v", e.TargetInfo.Type, e.TargetInfo.URL, err)
			}
		}()
	})
	wait := true
	// Dedicated workers only: a service worker's own requests are not the
	// tab's (see Throttle), and it would not start while paused.
	_, err := chromedp.Call(ctx, target.SetAutoAttach, target.SetAutoAttachParams{AutoAttach: true, Flatten: &wait, WaitForDebuggerOnStart: true,
		Filter: target.Filter{{Type: "worker"}, {Exclude: true}}})
	return err
}

// byRuleParams are Network.emulateNetworkConditionsByRule's parameters as
// both protocol versions take them: Chromium up to about 150 wants offline
// as a parameter of its own (and refuses the call without it), later ones
// in each rule's conditions (cdproto's type has only those).
type byRuleParams struct {
	Offline                     bool                  `json:"offline"`
	EmulateOfflineServiceWorker *bool                 `json:"emulateOfflineServiceWorker,omitempty"`
	MatchedNetworkConditions    []*network.Conditions `json:"matchedNetworkConditions"`
}

var emulateByRule = cdp.Command[byRuleParams, network.EmulateNetworkConditionsByRuleResult]{Method: network.CommandEmulateNetworkConditionsByRule}

// emulateNetwork sets the tab's network conditions for all its requests.
func emulateNetwork(ctx context.Context, offline bool, sw *bool, c *network.Conditions) error {
	c.Offline = offline
	_, err := chromedp.Call(ctx, emulateByRule, byRuleParams{Offline: offline, EmulateOfflineServiceWorker: sw, MatchedNetworkConditions: []*network.Conditions{c}})
	return err
}

// NewBrowser starts a headless Chromium with a fresh profile (user data
// directory), a fake camera and microphone granted without a prompt, and
// returns a chromedp context for its first tab. It closes at the end of the
// test.
func NewBrowser(t testing.TB, o Options) context.Context {
	t.Helper()
	exe := Chromium(t)
	if o.Width == 0 {
		o.Width, o.Height = 375, 667
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Minute
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true), // overlay scrollbars, as on a phone
		chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.WindowSize(o.Width, o.Height),
	}
	if o.Video != "" {
		opts = append(opts, chromedp.Flag("use-file-for-fake-video-capture", o.Video))
	}
	for k, v := range o.ExtraFlags {
		opts = append(opts, chromedp.Flag(k, v))
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(int64(o.Width), int64(o.Height))); err != nil {
		t.Fatalf("browsertest: start chromium: %v", err)
	}
	if o.Throttle != nil {
		if err := chromedp.Do(bctx, o.Throttle.Apply()); err != nil {
			t.Fatalf("browsertest: throttle: %v", err)
		}
	}
	if err := attachWorkers(t, bctx); err != nil {
		t.Fatalf("browsertest: workers: %v", err)
	}
	chromedp.Listen(bctx, func(ev any) { logEvent(t, ev) })
	return bctx
}

// Screenshot writes a PNG of the whole page to test-artifacts/NAME.png at
// the repository's root; failures are logged, not fatal.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	dir := filepath.Join(ModuleRoot(t), "test-artifacts")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// BeforeLoad runs script in every new document of the tab before the
// page's own scripts (page.addScriptToEvaluateOnNewDocument): the place to
// set a test clock.
func BeforeLoad(script string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	})
}

// Geolocation grants origin the geolocation permission and overrides the
// position; accuracy in metres.
func Geolocation(origin string, lat, lon, accuracy float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		// Browser.grantPermissions is gone from this protocol version;
		// setPermission grants the same.
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Origin: origin, Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
			Latitude: &lat, Longitude: &lon, Accuracy: &accuracy})
		return err
	})
}

// GrantNotifications grants origin the notifications permission.
func GrantNotifications(origin string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Origin: origin, Permission: &browser.PermissionDescriptor{Name: "notifications"}, Setting: browser.PermissionSettingGranted})
		return err
	})
}

// DenyGeolocation makes the geolocation permission denied for origin.
func DenyGeolocation(origin string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Origin: origin, Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingDenied})
		return err
	})
}

// Offline switches the tab's network emulation off or on.
func Offline(offline bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		// Two commands: emulateNetworkConditionsByRule cuts the requests
		// (the service worker's too), overrideNetworkState sets
		// navigator.onLine and fires the offline and online events.
		sw := offline
		if err := emulateNetwork(ctx, offline, &sw, &network.Conditions{DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
			Offline: offline, Latency: 0, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// logEvent logs the page's console messages and uncaught exceptions.
func logEvent(t testing.TB, ev any) {
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range e.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		t.Logf("console.%s: %s", e.Type, strings.Join(parts, " "))
	case runtime.EventConsoleAPICalled:
		logEvent(t, &e)
	case runtime.EventExceptionThrown:
		logEvent(t, &e)
	case *runtime.EventExceptionThrown:
		msg := e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
		t.Logf("exception: %s", msg)
	}
}
