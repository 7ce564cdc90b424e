using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;

namespace Automations.Infrastructure.Api;

/// <summary>
/// For lists the API has always answered with a plain array (automations): the page goes in headers, as GitHub's API
/// does, so existing clients keep working. <c>Link: &lt;…?after=…&gt;; rel="next"</c> while there is more, and
/// <c>X-Total-Count</c> (with <c>X-Total-Count-Capped: true</c> past <see cref="Paging.CountCap"/>).
/// </summary>
public static class PagingHeaders
{
    public static IReadOnlyList<T> WithPagingHeaders<T>(this HttpContext http, Paged<T> page)
    {
        http.Response.Headers["X-Total-Count"] = page.Total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (page.TotalCapped)
        {
            http.Response.Headers["X-Total-Count-Capped"] = "true";
        }

        var next = page.Next is { } cursor ? ("after", cursor)
            : page.Page > 0 && (long)page.Page * page.PageSize < page.Total ? ("page", (page.Page + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))
            : default;
        if (next.Item1 is not null)
        {
            var query = QueryHelpers.ParseQuery(http.Request.QueryString.Value);
            var builder = new QueryBuilder(query.Where(q => q.Key is not ("after" or "page")).SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))))
            {
                { next.Item1, next.Item2 },
            };
            http.Response.Headers.Link = $"<{http.Request.PathBase}{http.Request.Path}{builder.ToQueryString()}>; rel=\"next\"";
        }

        return page.Items;
    }
}
