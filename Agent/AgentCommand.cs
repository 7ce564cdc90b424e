using System.CommandLine;
using System.CommandLine.Parsing;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Automations.Agent;

public static class AgentInfo
{
    public static readonly string Version =
        typeof(AgentInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}

/// <summary>
/// <c>automations-agent --server URL --team TEAM --queue NAME [--name NAME] [--work-dir DIR] [--max-runs N]</c>, with the
/// API key in AUTOMATIONS_API_KEY (or a file named by --api-key-file). Every option can also come from an environment
/// variable (named in --help); the command line wins. Ctrl+C and SIGTERM stop it gracefully.
/// </summary>
public static class AgentCommand
{
    public const string ApiKeyVariable = "AUTOMATIONS_API_KEY";

    /// <summary>The exit code for a command line (or environment) that cannot be used, as shells use 2 for misuse.</summary>
    public const int UsageError = 2;

    /// <summary>The exit code when the server refuses the agent (bad, expired or revoked key, a key not allowed on this queue, unknown queue).</summary>
    public const int Refused = 3;

    /// <summary>Checks of every option's value, from the command line or else its environment variable (see <see cref="EnvOption"/>).</summary>
    private static readonly List<Action<CommandResult>> ValueChecks = [];

    private static readonly Option<Uri?> Server = EnvOption<Uri?>(
        "--server", "AUTOMATIONS_SERVER", "url", "The server's base URL, e.g. https://automations.example.com",
        text => Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? (uri, null) : (null, $"'{text}' is not an http(s) URL."));

    private static readonly Option<string?> Team = EnvOption<string?>(
        "--team", "AUTOMATIONS_TEAM", "team", "The team (entity) that owns the queue", Text, "--entity");

    private static readonly Option<string?> Queue = EnvOption<string?>(
        "--queue", "AUTOMATIONS_QUEUE", "name", "The launch queue to poll", Text);

    private static readonly Option<string?> Name = EnvOption<string?>(
        "--name", "AUTOMATIONS_AGENT_NAME", "name", "The name the agent shows on the Launch page [default: the machine name]", Text);

    private static readonly Option<string?> WorkDir = EnvOption<string?>(
        "--work-dir", "AUTOMATIONS_WORK_DIR", "dir", "Where each run gets its directory [default: <temp>/automations-agent]", Text);

    private static readonly Option<int?> MaxRuns = EnvOption<int?>(
        "--max-runs", "AUTOMATIONS_MAX_RUNS", "n", "Stop after this many runs [default: run until stopped]",
        text => int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? (n, null)
            : (null, $"'{text}' is not a whole number of runs greater than 0."));

    private static readonly Option<string?> ApiKeyFile = EnvOption<string?>(
        "--api-key-file", "AUTOMATIONS_API_KEY_FILE", "path",
        $"A file holding the API key (an agent key of the queue from Team Settings > Service keys, or a team admin's key), instead of {ApiKeyVariable}", Text);

    public static RootCommand Create()
    {
        var root = new RootCommand(
            $"""
            The Automations launch agent: polls one launch queue of one team and runs its jobs as local processes.
            The API key is read from {ApiKeyVariable} (or --api-key-file). Every option may instead come from the
            environment variable named beside it; the command line wins. Ctrl+C or SIGTERM stops the agent gracefully.
            Exit codes: 0 stopped, {UsageError} bad command line or environment, {Refused} refused by the server.
            """)
        {
            Server, Team, Queue, Name, WorkDir, MaxRuns, ApiKeyFile,
        };

        root.Validators.Add(result =>
        {
            foreach (var check in ValueChecks)
            {
                check(result);
            }

            Require(Server, "AUTOMATIONS_SERVER");
            Require(Team, "AUTOMATIONS_TEAM");
            Require(Queue, "AUTOMATIONS_QUEUE");

            var keyFile = result.GetResult(ApiKeyFile) is { Implicit: false, Tokens.Count: > 0 } given
                ? given.Tokens[^1].Value
                : Environment.GetEnvironmentVariable("AUTOMATIONS_API_KEY_FILE") is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
            if (keyFile is not null && !File.Exists(keyFile))
            {
                result.AddError($"--api-key-file: {keyFile} does not exist.");
            }
            else if (keyFile is null && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(ApiKeyVariable)))
            {
                result.AddError($"No API key: set {ApiKeyVariable} or pass --api-key-file.");
            }

            void Require(Option option, string variable)
            {
                if (result.GetResult(option) is not { Implicit: false } && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable)))
                {
                    result.AddError($"{option.Name} is required (or set {variable}).");
                }
            }
        });

        root.SetAction(RunAsync);
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parsed = Create().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync(error.Message);
            }

            await Console.Error.WriteLineAsync("Run with --help to see every option.");
            return UsageError;
        }

        // Our own SIGINT/SIGTERM handling below stops the running job and reports it; the library's would cut that short.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private static async Task<int> RunAsync(ParseResult parsed, CancellationToken ct)
    {
        var apiKey = parsed.GetValue(ApiKeyFile) is { } file
            ? (await File.ReadAllTextAsync(file, ct)).Trim()
            : Environment.GetEnvironmentVariable(ApiKeyVariable)!.Trim();
        var server = parsed.GetValue(Server)!;
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
        var logger = loggerFactory.CreateLogger("Automations.Agent");
        using var http = AgentClient.CreateHttpClient(new Uri(server.ToString().TrimEnd('/') + "/"), apiKey);
        var runner = new AgentRunner(new AgentClient(http, Uri.EscapeDataString(parsed.GetValue(Team)!), logger), new AgentSettings
        {
            Server = server,
            Queue = parsed.GetValue(Queue)!,
            Name = parsed.GetValue(Name),
            WorkRoot = parsed.GetValue(WorkDir) ?? Path.Combine(Path.GetTempPath(), "automations-agent"),
            MaxRuns = parsed.GetValue(MaxRuns),
        }, logger);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // Ctrl+C and SIGTERM (systemd, docker stop) stop the agent gracefully: a running process is stopped
        // and its run reported, instead of the server finding out only when the heartbeats stop.
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            await runner.RunAsync(stop.Token);
            return 0;
        }
        catch (AgentRequestException ex)
        {
            logger.LogError("The server refused the agent: {Error}", ex.Message);
            return Refused;
        }
    }

    private static (string?, string?) Text(string text) =>
        string.IsNullOrWhiteSpace(text) ? (null, "must not be empty.") : (text.Trim(), null);

    /// <summary>
    /// An option whose value may instead come from an environment variable; both go through the same parser, and a
    /// bad value from either is an error naming where it came from (never silently ignored).
    /// </summary>
    private static Option<T> EnvOption<T>(string name, string variable, string helpName, string description, Func<string, (T? Value, string? Error)> parse, params string[] aliases)
    {
        var option = new Option<T>(name, aliases) { Description = $"{description} [env: {variable}]", HelpName = helpName };
        // Values are checked once, by the command's validator (the library runs a custom parser only when a value is read).
        option.CustomParser = result => parse(result.Tokens.Count > 0 ? result.Tokens[^1].Value : "").Value!;
        option.DefaultValueFactory = _ => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text ? parse(text).Value! : default!;
        ValueChecks.Add(result =>
        {
            var (source, text) = result.GetResult(option) is { Implicit: false } given
                ? (name, given.Tokens.Count > 0 ? given.Tokens[^1].Value : "")
                : (variable, Environment.GetEnvironmentVariable(variable));
            if (!string.IsNullOrEmpty(text) || source == name)
            {
                if (parse(text ?? "").Error is { } error)
                {
                    result.AddError($"{source}: {error}");
                }
            }
        });
        return option;
    }
}

public static class AgentProgram
{
    public static Task<int> Main(string[] args) => AgentCommand.RunAsync(args);
}
