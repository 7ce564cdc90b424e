using Microsoft.AspNetCore.Http.Features;

namespace Automations.Infrastructure.Api;

public static class RequestLimits
{
    /// <summary>API request bodies larger than this get 413.</summary>
    public const long MaxApiBodyBytes = 1024 * 1024;

    /// <summary>
    /// 413 as problem details for API bodies over the limit: at once when Content-Length says so, and for a
    /// body without one (chunked) by buffering at most the limit before the endpoint sees it.
    /// </summary>
    public static IApplicationBuilder UseApiRequestLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        if (request.Path.StartsWithSegments(ApiEndpoints.Prefix))
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxApiBodyBytes + 1;
            }

            if (request.ContentLength > MaxApiBodyBytes)
            {
                await TooLargeAsync(context);
                return;
            }

            if (request.ContentLength is null && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method)))
            {
                var buffer = new MemoryStream();
                var chunk = new byte[16 * 1024];
                int n;
                while ((n = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
                {
                    buffer.Write(chunk, 0, n);
                    if (buffer.Length > MaxApiBodyBytes)
                    {
                        await TooLargeAsync(context);
                        return;
                    }
                }

                buffer.Position = 0;
                request.Body = buffer;
                request.ContentLength = buffer.Length;
            }
        }

        await next(context);
    });

    private static Task TooLargeAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        return context.Response.WriteAsJsonAsync(new
        {
            type = "https://tools.ietf.org/html/rfc9110#section-15.5.14",
            title = "Payload too large",
            status = 413,
            detail = $"Request bodies are limited to {MaxApiBodyBytes / 1024} KB.",
        }, options: null, contentType: "application/problem+json");
    }
}
