using System.Diagnostics;
using System.Text.RegularExpressions;
using Automations.Features.Artifacts;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.E2E;

/// <summary>
/// The Python client (clients/python) as an ML engineer gets it: installed with pip into a folder of its own, then its
/// unittest suite and the README's five-line example run against the app on a loopback port. Skipped where there is
/// no python3, unless AUTOMATIONS_REQUIRE_PYTHON=1 (set by .ci/run).
/// </summary>
public class PythonClientTests : IAsyncLifetime
{
    private readonly AppFactory _app = new(new() { ["Outbound:AllowedHosts:0"] = "localhost" });
    private readonly TestDirectory _work = new();
    private string _baseUrl = "";

    public ValueTask InitializeAsync()
    {
        _baseUrl = _app.StartOnLoopback();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _work.Dispose();
    }

    private static string ClientFolder
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var folder = Path.Combine(dir.FullName, "clients", "python");
                if (File.Exists(Path.Combine(folder, "pyproject.toml")))
                {
                    return folder;
                }
            }

            throw new InvalidOperationException("clients/python not found above " + AppContext.BaseDirectory);
        }
    }

    [Fact]
    public async Task The_pip_installed_client_passes_its_suite_and_the_readme_example_runs_verbatim_against_the_app()
    {
        var python = FindPython();
        var team = await _app.CreateTeamAsync("acme");
        using (var scope = _app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<ArtifactService>().CreateProjectAsync(team.Admin, team.Slug, "vision", null);
        }

        var key = await _app.ApiKeyAsync(team.Admin);
        var site = Path.Combine(_work.Path, "site");

        // pip with no package index: the in-tree build backend needs nothing but the interpreter.
        var install = await RunAsync(python, ["-m", "pip", "install", "--no-index", "--no-deps", "--target", site, ClientFolder], key);
        Assert.True(install.Code == 0, $"pip install failed:\n{install.Out}\n{install.Error}");
        Assert.True(File.Exists(Path.Combine(site, "automations", "client.py")), install.Out);

        var suite = await RunAsync(python, ["-m", "unittest", "discover", "-v", "-s", Path.Combine(ClientFolder, "tests")], key, site);
        Assert.True(suite.Code == 0, $"python tests failed:\n{suite.Error}\n{suite.Out}");
        Assert.Matches(new Regex(@"^OK$", RegexOptions.Multiline), suite.Error);
        Assert.DoesNotContain("skipped", suite.Error);
        Assert.Matches(new Regex(@"^test_log_versions_trigger_a_signed_delivery_and_retries_of_the_script_log_once .*\.\.\. ok$", RegexOptions.Multiline), suite.Error);

        var readme = await File.ReadAllTextAsync(Path.Combine(ClientFolder, "README.md"));
        var example = Regex.Match(readme, @"<!-- example[^>]*-->\s*```python\n(?<code>.*?)```\s*<!-- end example -->", RegexOptions.Singleline).Groups["code"].Value;
        Assert.Equal(5, example.Trim().Split('\n').Length);
        var script = Path.Combine(_work.Path, "example.py");
        await File.WriteAllTextAsync(script, example);
        await File.WriteAllBytesAsync(Path.Combine(_work.Path, "eval.parquet"), [1, 2, 3]);
        var run = await RunAsync(python, [script], key, site);
        Assert.True(run.Code == 0, $"the README example failed:\n{run.Error}\n{run.Out}");
        Assert.Equal("acme/vision/eval-set:v0 ['candidate', 'latest', 'production']", run.Out.Trim());
    }

    private static string FindPython()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "python3");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        if (Environment.GetEnvironmentVariable("AUTOMATIONS_REQUIRE_PYTHON") == "1")
        {
            throw new InvalidOperationException("AUTOMATIONS_REQUIRE_PYTHON=1 but python3 is not on PATH: apt-get install -y python3");
        }

        Assert.Skip("python3 is not installed");
        return "";
    }

    private async Task<(int Code, string Out, string Error)> RunAsync(string python, string[] arguments, string key, string? site = null)
    {
        var start = AgentBuilds.Start(python, arguments);
        start.WorkingDirectory = _work.Path;
        start.Environment["AUTOMATIONS_BASE_URL"] = _baseUrl;
        start.Environment["AUTOMATIONS_API_KEY"] = key;
        start.Environment["AUTOMATIONS_TEST_TEAM"] = "acme";
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["PIP_NO_INPUT"] = "1";
        start.Environment.Remove("AUTOMATIONS_RUN_ID");
        if (site is not null)
        {
            start.Environment["PYTHONPATH"] = site;
        }

        return await AgentBuilds.RunAsync(start, TimeSpan.FromMinutes(3));
    }
}
