package cli

import (
	"log/slog"
	"os"
)

// cliLogger is the logger of operators' one-shot commands: warnings and
// errors only, so connection chatter does not mix with their output.
func cliLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
