using System.Net;
using System.Text.Json;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

/// <summary>README's <c>dotnet run --project App</c> is how most installs start: it must behave as production.</summary>
public class ProductionDefaultsTests
{
    [Fact]
    public void Dotnet_run_without_a_profile_runs_in_production_and_development_is_a_named_profile()
    {
        var path = Path.Combine(RepositoryRoot(), "App", "Properties", "launchSettings.json");
        using var settings = JsonDocument.Parse(File.ReadAllText(path));
        var profiles = settings.RootElement.GetProperty("profiles").EnumerateObject().ToList();

        // dotnet run picks the first profile.
        Assert.Equal("Production", Environment(profiles[0].Value));
        Assert.Equal("Development", Environment(Assert.Single(profiles, p => p.Name == "Development").Value));

        static string? Environment(JsonElement profile) => profile.GetProperty("environmentVariables").GetProperty("ASPNETCORE_ENVIRONMENT").GetString();
    }

    [Theory]
    [InlineData("/_framework/blazor.web.js")]
    [InlineData("/_content/MudBlazor/MudBlazor.min.css")]
    [InlineData("/_content/MudBlazor/MudBlazor.min.js")]
    [InlineData("/_content/BlazorMonaco/jsInterop.js")]
    public async Task In_production_the_build_output_serves_the_framework_and_library_files(string path)
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" }) { EnvironmentName = "Production" };
        using var client = app.CreateClient();

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task In_production_a_failure_shows_the_error_page_without_exception_or_request_details()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" }) { EnvironmentName = "Production" };
        await using var failing = app.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton<IStartupFilter>(new ThrowingPath())));
        using var client = failing.CreateClient();
        client.DefaultRequestHeaders.Add("X-Private-Header", "header-value-7f3a");

        var response = await client.GetAsync(ThrowingPath.Path);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("An error occurred while processing your request", body);
        Assert.DoesNotContain("secret-detail-9c2e", body);
        Assert.DoesNotContain(nameof(InvalidOperationException), body);
        Assert.DoesNotContain("header-value-7f3a", body);
        Assert.DoesNotContain("ProductionDefaultsTests", body);
    }

    /// <summary>A request path that throws: added after the app's own pipeline, where unmatched requests end up.</summary>
    private sealed class ThrowingPath : IStartupFilter
    {
        public const string Path = "/test-only/throw";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Use((context, nextMiddleware) => context.Request.Path == Path
                ? throw new InvalidOperationException("secret-detail-9c2e")
                : nextMiddleware(context));
        };
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Automations.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Automations.sln not found above the test output.");
    }
}
