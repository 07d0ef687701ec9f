package cli

import (
	"fmt"
	"log/slog"
	"os"
)

// cliLogger is the logger of operators' one-shot commands: warnings and
// errors only, so connection chatter does not mix with their output.
func cliLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// serverLogger is the logger of the long-running roles (party, relay): JSON
// lines on standard error from the named level up.
func serverLogger(cmd, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%s: --log-level: %w", cmd, err)
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lv})), nil
}
