using System.Runtime.InteropServices;

namespace Automations.Features.Launch.Agent;

/// <summary>
/// <c>dotnet run --project App -- agent --server URL --entity TEAM --queue NAME [--name NAME] [--work-dir DIR] [--max-runs N]</c>,
/// with the API key in AUTOMATIONS_API_KEY. Ctrl+C stops it.
/// </summary>
public static class AgentCommand
{
    public const string ApiKeyVariable = "AUTOMATIONS_API_KEY";

    public const string Usage = """
        usage: dotnet run --project App -- agent --server <url> --entity <team> --queue <name> [--name <agent name>] [--work-dir <dir>] [--max-runs <n>]
        The API key of a team admin (Settings → API keys) is read from the environment variable AUTOMATIONS_API_KEY.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Parse(args);
        var apiKey = Environment.GetEnvironmentVariable(ApiKeyVariable);
        if (options is null || string.IsNullOrWhiteSpace(apiKey)
            || !Uri.TryCreate(options.GetValueOrDefault("server"), UriKind.Absolute, out var server)
            || !options.TryGetValue("entity", out var team) || !options.TryGetValue("queue", out var queue))
        {
            await Console.Error.WriteLineAsync(string.IsNullOrWhiteSpace(apiKey) && options is not null ? $"{ApiKeyVariable} is not set.\n{Usage}" : Usage);
            return 2;
        }

        int? maxRuns = options.TryGetValue("max-runs", out var max) && int.TryParse(max, out var n) ? n : null;
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
        var logger = loggerFactory.CreateLogger("Automations.Agent");
        using var http = AgentClient.CreateHttpClient(new Uri(server.ToString().TrimEnd('/') + "/"), apiKey);
        var runner = new AgentRunner(new AgentClient(http, Uri.EscapeDataString(team), logger), new AgentSettings
        {
            Server = server,
            Queue = queue,
            Name = options.GetValueOrDefault("name"),
            WorkRoot = options.GetValueOrDefault("work-dir") ?? Path.Combine(Path.GetTempPath(), "automations-agent"),
            MaxRuns = maxRuns,
        }, logger);

        using var stop = new CancellationTokenSource();
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
            return 3;
        }
    }

    private static Dictionary<string, string>? Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                return null;
            }

            options[args[i][2..]] = args[++i];
        }

        return options;
    }
}
