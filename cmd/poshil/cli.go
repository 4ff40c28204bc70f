package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poshil/poshil/harness/buildinfo"
	"github.com/poshil/poshil/harness/verdict"
)

// How commands are made
//
// Every command lives in its own file and registers a constructor:
//
//	func init() { register(newFooCmd) }
//
//	func newFooCmd(a *app) *cobra.Command {
//		c := &cobra.Command{Use: "foo FILE...", Short: "...", Args: cobra.MinimumNArgs(1)}
//		n := c.Flags().Int("count", 1, "how many")
//		c.RunE = func(cmd *cobra.Command, args []string) error {
//			if err := atLeast("count", *n, 1); err != nil {
//				return err // exit 3, with the error and a pointer to --help
//			}
//			...
//			return a.exit(code) // the verdict's exit code, nothing printed
//		}
//		return c
//	}
//
// The constructor gets the app (stdout, stderr, the run's context) and
// returns a cobra command; cobra parses flags anywhere on the line, prints
// the usage text (the only usage text there is: docs/cli.md is generated
// from it) and answers -h/--help with exit 0. A RunE error is INVALID
// (exit 3), printed with the command's name and a pointer to its --help,
// unless it is an exitError (a.exit) carrying its own code.
//
// A command written as a plain function of its arguments,
//
//	func fooCmd(args []string, stdout, stderr io.Writer) int
//
// becomes a command with one line, registered like any other:
//
//	func init() { register(legacy("foo", "what foo does", fooCmd)) }
//
// Cobra then leaves its flags alone (the function parses them itself) and
// the function's return value is the exit code. Asked for help (-h or
// --help among its arguments), the function's output goes to stdout and
// the exit code is 0 whatever it returns, as the flag package returns an
// error for -h.

// app is what every command shares: where to print and the run's context
// (cancelled on the first Ctrl-C).
type app struct {
	ctx            context.Context
	stdout, stderr io.Writer
}

// exitError ends a command with a given exit code; err, if any, is printed
// to stderr first.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exit ends the command with code and prints nothing more (the command
// has said what happened); exit(0) is success.
func (a *app) exit(code int) error {
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}

// constructors are the registered commands, in registration order.
var constructors []func(*app) *cobra.Command

// register adds a command to poshil; call it from an init function.
func register(newCmd func(*app) *cobra.Command) {
	constructors = append(constructors, newCmd)
}

// legacy wraps fn, a command that parses its own arguments and returns its
// exit code, as the command name; short is its one-line help.
func legacy(name, short string, fn func(args []string, stdout, stderr io.Writer) int) func(*app) *cobra.Command {
	return func(a *app) *cobra.Command {
		return &cobra.Command{
			Use:                name + " [ARG...]",
			Short:              short,
			DisableFlagParsing: true,
			RunE: func(cmd *cobra.Command, args []string) error {
				if slices.Contains(args, "-h") || slices.Contains(args, "--help") {
					fn(args, a.stdout, a.stdout)
					return nil
				}
				return a.exit(fn(args, a.stdout, a.stderr))
			},
		}
	}
}

const rootLong = `poshil runs payment-terminal scenarios on a bench (real or emulated),
validates scenario and bench files, makes reports from run records and
simulates bench parts for any PC/SC tool.

Exit codes: 0 pass, 1 firmware fail, 2 bench error, 3 invalid input;
130 after a second Ctrl-C (the first returns the bench to its safe state).`

// newRoot builds the whole command tree for a.
func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "poshil",
		Short:         "hardware-in-the-loop test harness for payment-terminal firmware",
		Long:          rootLong,
		Version:       buildinfo.Read().String(),
		SilenceErrors: true,
		SilenceUsage:  true,
		// Bare "poshil" is a mistake: usage on stderr, exit 3.
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(a.stderr)
			_ = cmd.Usage()
			return a.exit(verdict.ExitInvalid)
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	// --version alone: -v is run's --verbose.
	root.Flags().Bool("version", false, "print poshil's version and VCS revision")
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetContext(a.ctx)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError(cmd, err)
	})
	for _, newCmd := range constructors {
		root.AddCommand(newCmd(a))
	}
	return root
}

// usageError is a mistake on the command line: exit 3, with the error and
// where to read the usage.
func usageError(cmd *cobra.Command, err error) error {
	p := cmd.CommandPath()
	return &exitError{code: verdict.ExitInvalid, err: fmt.Errorf("%s: %w\nRun '%s --help' for usage.", p, err, p)}
}

// execute runs poshil with args under ctx and returns its exit code.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{ctx: ctx, stdout: stdout, stderr: stderr}
	root := newRoot(a)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		// cobra's own complaints (unknown command, wrong number of
		// arguments) and commands' plain errors are bad input.
		if cmd == nil {
			cmd = root
		}
		ee = usageError(cmd, err).(*exitError)
	}
	if ee.err != nil {
		fmt.Fprintln(stderr, ee.err)
	}
	return ee.code
}

// rangeError is a numeric flag out of range.
func rangeError(flag string, v any, want string) error {
	return fmt.Errorf("--%s %v: must be %s", flag, v, want)
}

// atLeast checks an integer flag's lower bound.
func atLeast(flag string, v, min int) error {
	if v < min {
		return rangeError(flag, v, fmt.Sprintf("at least %d", min))
	}
	return nil
}

// oneOf is a positional-argument check: exactly one of the words.
func oneOf(words ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 || !slices.Contains(words, args[0]) {
			return fmt.Errorf("want one of %s, got %q", strings.Join(words, "|"), strings.Join(args, " "))
		}
		return nil
	}
}
