using System.Globalization;

namespace Automations.Infrastructure.Security;

/// <summary>The 429 answer of every rate limit: a <c>Retry-After</c> in whole seconds, and a sentence for whoever reads it.</summary>
public static class TooManyRequests
{
    public static Task WriteProblemAsync(HttpContext context, TimeSpan retryAfter, string detail)
    {
        SetStatus(context, retryAfter);
        return context.Response.WriteAsJsonAsync(new
        {
            type = "https://tools.ietf.org/html/rfc6585#section-4",
            title = "Too many requests",
            status = StatusCodes.Status429TooManyRequests,
            detail,
        }, options: null, contentType: "application/problem+json", context.RequestAborted);
    }

    /// <summary>For forms a person submitted: a line of text reads better in a browser than JSON.</summary>
    public static Task WriteTextAsync(HttpContext context, TimeSpan retryAfter, string detail)
    {
        SetStatus(context, retryAfter);
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(detail, context.RequestAborted);
    }

    public static int Seconds(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

    private static void SetStatus(HttpContext context, TimeSpan retryAfter)
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = Seconds(retryAfter).ToString(CultureInfo.InvariantCulture);
    }
}
