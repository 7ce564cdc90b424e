using System.Net;
using System.Text.Json;
using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.Http;

public class OpenApiTests
{
    [Fact]
    public async Task OpenApi_document_lists_the_api_and_the_reference_page_is_served_offline()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        using var client = app.CreateClient();

        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();

        Assert.Contains("/api/v1/teams/{team}/projects/{project}/collections/{collection}/versions", paths);
        Assert.Contains("/api/v1/teams/{team}/webhooks/{id}/test", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/Account", StringComparison.Ordinal));
        var logVersion = document.GetProperty("paths").GetProperty("/api/v1/teams/{team}/projects/{project}/collections/{collection}/versions").GetProperty("post");
        Assert.Contains("API key permission: `artifacts`.", logVersion.GetProperty("description").GetString());
        var claim = document.GetProperty("paths").GetProperty("/api/v1/teams/{team}/launch/queues/{queue}/claim").GetProperty("post");
        Assert.Contains("API key permission: `agent`.", claim.GetProperty("description").GetString());
        var page = await client.GetAsync("/api/docs/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("scalar.js", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/docs/scalar.js")).StatusCode);
    }
}
