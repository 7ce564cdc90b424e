using Microsoft.AspNetCore.Http.Features;

namespace Automations.Infrastructure.Api;

public static class RequestLimits
{
    /// <summary>API request bodies larger than this get 413.</summary>
    public const long MaxApiBodyBytes = 1024 * 1024;

    /// <summary>413 as problem details before a large API body is read; Kestrel enforces the same bound for chunked bodies.</summary>
    public static IApplicationBuilder UseApiRequestLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.Path.StartsWithSegments(ApiEndpoints.Prefix))
        {
            if (context.Request.ContentLength > MaxApiBodyBytes)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await context.Response.WriteAsJsonAsync(new
                {
                    type = "https://tools.ietf.org/html/rfc9110#section-15.5.14",
                    title = "Payload too large",
                    status = 413,
                    detail = $"Request bodies are limited to {MaxApiBodyBytes / 1024} KB.",
                }, options: null, contentType: "application/problem+json");
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxApiBodyBytes;
            }
        }

        await next(context);
    });
}
