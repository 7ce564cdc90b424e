using System.Diagnostics;
using System.Text;

namespace Automations.Tests.TestInfrastructure;

/// <summary>
/// The agent as people install it, built from Agent/ once per test run: a self-contained single-file executable
/// (<c>dotnet publish -r linux-x64</c>, what the README tells operators to copy to a GPU machine) and a dotnet tool.
/// </summary>
public static class AgentBuilds
{
    private static readonly Lazy<Task<string>> SingleFile = new(PublishSingleFileAsync);
    private static readonly Lazy<Task<string>> Tool = new(InstallToolAsync);

    private static string Work => Path.Combine(AppContext.BaseDirectory, "agent-builds");

    /// <summary>The path of the published <c>automations-agent</c> executable.</summary>
    public static Task<string> SingleFileAsync() => SingleFile.Value;

    /// <summary>The path of <c>automations-agent</c> installed with <c>dotnet tool install --tool-path</c> from the packed tool.</summary>
    public static Task<string> ToolAsync() => Tool.Value;

    /// <summary>The agent built beside the tests, run with <c>dotnet automations-agent.dll</c>.</summary>
    public static ProcessStartInfo Dll(params string[] arguments) =>
        Start(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", [typeof(Automations.Agent.AgentCommand).Assembly.Location, .. arguments]);

    public static ProcessStartInfo Start(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var variable in new[] { "AUTOMATIONS_API_KEY", "AUTOMATIONS_SERVER", "AUTOMATIONS_TEAM", "AUTOMATIONS_QUEUE", "AUTOMATIONS_MAX_RUNS" })
        {
            start.Environment.Remove(variable);
        }

        return start;
    }

    /// <summary>Runs a process to its end: exit code, standard output, standard error.</summary>
    public static async Task<(int ExitCode, string Out, string Error)> RunAsync(ProcessStartInfo start, TimeSpan? timeout = null)
    {
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromMinutes(1));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static async Task<string> PublishSingleFileAsync()
    {
        var output = Path.Combine(Work, "single-file");
        await DotnetAsync("publish", AgentProject, "-c", "Release", "-r", "linux-x64", "--self-contained", "-p:PublishSingleFile=true",
            "--artifacts-path", Path.Combine(Work, "publish-artifacts"), "-o", output);
        return Path.Combine(output, "automations-agent");
    }

    private static async Task<string> InstallToolAsync()
    {
        var packages = Path.Combine(Work, "packages");
        var tools = Path.Combine(Work, "tools");
        if (Directory.Exists(tools))
        {
            Directory.Delete(tools, recursive: true);
        }

        await DotnetAsync("pack", AgentProject, "-c", "Release", "--artifacts-path", Path.Combine(Work, "pack-artifacts"), "-o", packages);
        await DotnetAsync("tool", "install", "Automations.Agent", "--tool-path", tools, "--add-source", packages, "--ignore-failed-sources");
        return Path.Combine(tools, "automations-agent");
    }

    private static string AgentProject
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var project = Path.Combine(dir.FullName, "Agent", "Agent.csproj");
                if (File.Exists(project))
                {
                    return project;
                }
            }

            throw new InvalidOperationException("Agent/Agent.csproj not found above " + AppContext.BaseDirectory);
        }
    }

    private static async Task DotnetAsync(params string[] arguments)
    {
        var start = Start(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", arguments);
        // The test host runs under MSBuild's and the test platform's variables; a nested build must not inherit them.
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(variable);
        }

        var (code, output, error) = await RunAsync(start, TimeSpan.FromMinutes(8));
        if (code != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} exited {code}:\n{output}\n{error}");
        }
    }
}
