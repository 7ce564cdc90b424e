using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.TestInfrastructure;

/// <summary>The app's own endpoint table, for tests that must cover every API route, including routes added later.</summary>
public static class ApiRoutes
{
    /// <summary>Every /api/v1 route with one of its HTTP methods.</summary>
    public static IEnumerable<(RouteEndpoint Endpoint, string Method)> All(IServiceProvider services) =>
        from endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
        where endpoint.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true
        from method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []
        select (endpoint, method);

    /// <summary>The route's path with each parameter replaced by <paramref name="valueOf"/>(its name).</summary>
    public static string Path(RoutePattern pattern, Func<string, string> valueOf) =>
        "/" + string.Join("/", pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => valueOf(parameter.Name),
            _ => "",
        }))));

    /// <summary>The call's answer, after asserting that it succeeded (with the body in the message when it did not).</summary>
    public static async Task<HttpResponseMessage> OkAsync(Task<HttpResponseMessage> call)
    {
        var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage!.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}
