using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.E2E;

/// <summary>The agent's command line as an operator meets it: help, versions, and refusals that say what is wrong.</summary>
public class AgentCommandTests
{
    private static readonly string[] Required = ["--server", "http://127.0.0.1:9", "--team", "acme", "--queue", "gpu"];

    [Fact]
    public async Task Help_exits_0_and_names_every_option_with_its_environment_variable()
    {
        var (code, output, error) = await AgentBuilds.RunAsync(AgentBuilds.Dll("--help"));

        Assert.True(code == 0, error);
        foreach (var (option, variable) in new[]
        {
            ("--server", "AUTOMATIONS_SERVER"), ("--team", "AUTOMATIONS_TEAM"), ("--queue", "AUTOMATIONS_QUEUE"), ("--name", "AUTOMATIONS_AGENT_NAME"),
            ("--work-dir", "AUTOMATIONS_WORK_DIR"), ("--max-runs", "AUTOMATIONS_MAX_RUNS"), ("--api-key-file", "AUTOMATIONS_API_KEY_FILE"),
        })
        {
            Assert.Contains(option, output);
            Assert.Contains($"[env: {variable}]", output);
        }

        Assert.Contains("AUTOMATIONS_API_KEY", output);
    }

    [Theory]
    [InlineData("--max-runs abc", "--max-runs: 'abc' is not a whole number")]
    [InlineData("--max-runs 0", "--max-runs: '0' is not a whole number of runs greater than 0")]
    [InlineData("--server ftp://example.com", "--server: 'ftp://example.com' is not an http(s) URL")]
    [InlineData("--name", "--name: must not be empty")]
    [InlineData("--bogus 1", "'--bogus'")]
    [InlineData("--api-key-file /nonexistent/key", "--api-key-file: /nonexistent/key does not exist")]
    public async Task A_bad_or_unknown_option_exits_2_with_the_reason(string arguments, string reason)
    {
        var start = AgentBuilds.Dll([.. Required, .. arguments.Split(' ')]);
        start.Environment["AUTOMATIONS_API_KEY"] = "ak_test";

        var (code, _, error) = await AgentBuilds.RunAsync(start);

        Assert.Equal(2, code);
        Assert.Contains(reason, error);
        Assert.Contains("--help", error);
    }

    [Fact]
    public async Task A_bad_value_in_an_environment_variable_is_refused_naming_the_variable()
    {
        var start = AgentBuilds.Dll(Required);
        start.Environment["AUTOMATIONS_API_KEY"] = "ak_test";
        start.Environment["AUTOMATIONS_MAX_RUNS"] = "many";

        var (code, _, error) = await AgentBuilds.RunAsync(start);

        Assert.Equal(2, code);
        Assert.Contains("AUTOMATIONS_MAX_RUNS: 'many' is not a whole number", error);
    }

    [Fact]
    public async Task Missing_settings_are_all_named_at_once()
    {
        var (code, _, error) = await AgentBuilds.RunAsync(AgentBuilds.Dll());

        Assert.Equal(2, code);
        Assert.Contains("--server is required (or set AUTOMATIONS_SERVER)", error);
        Assert.Contains("--team is required (or set AUTOMATIONS_TEAM)", error);
        Assert.Contains("--queue is required (or set AUTOMATIONS_QUEUE)", error);
        Assert.Contains("No API key: set AUTOMATIONS_API_KEY or pass --api-key-file", error);
    }

    [Fact]
    public async Task The_app_still_runs_the_agent_as_its_agent_subcommand()
    {
        var (code, output, error) = await AgentBuilds.RunAsync(AgentBuilds.Start(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", [typeof(Program).Assembly.Location, "agent", "--help"]));

        Assert.True(code == 0, error);
        Assert.Contains("[env: AUTOMATIONS_QUEUE]", output);
    }

    [Fact]
    public async Task The_packed_dotnet_tool_installs_and_runs()
    {
        var tool = await AgentBuilds.ToolAsync();

        var help = await AgentBuilds.RunAsync(AgentBuilds.Start(tool, ["--help"]));
        var version = await AgentBuilds.RunAsync(AgentBuilds.Start(tool, ["--version"]));
        var refused = await AgentBuilds.RunAsync(AgentBuilds.Start(tool, ["--max-runs", "x"]));

        Assert.True(help.ExitCode == 0, help.Error);
        Assert.Contains("--queue <name>", help.Out);
        Assert.True(version.ExitCode == 0, version.Error);
        Assert.StartsWith("1.", version.Out.Trim());
        Assert.Equal(2, refused.ExitCode);
    }
}
