using System.Globalization;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace Automations.Infrastructure;

/// <summary>
/// One page of a list, as every list takes it: <c>?page=1&amp;pageSize=50</c> (pages from 1, at most 200 items), or by
/// cursor, <c>?after=&lt;next&gt;</c> with the <see cref="Paged{T}.Next"/> of the page before: a cursor page costs the
/// same however deep it is, and rows added meanwhile neither repeat nor skip a row. With <c>after</c>, <c>page</c> is ignored.
/// </summary>
public sealed record PageRequest(int Page = 1, int PageSize = 50, string? After = null)
{
    public const int MaxPageSize = 200;

    /// <summary>The page asked for, brought within bounds: page 1 or later, 1 to <paramref name="maxPageSize"/> items.</summary>
    public PageRequest Normalized(int maxPageSize = MaxPageSize) =>
        this with { Page = Math.Max(1, Page), PageSize = Math.Clamp(PageSize, 1, maxPageSize), After = string.IsNullOrWhiteSpace(After) ? null : After.Trim() };
}

/// <summary>
/// A page of items. Total: the list's size, counted up to <see cref="Paging.CountCap"/> (TotalCapped: there are more,
/// show "10,000+"). Next: the cursor of the following page (<c>?after=</c>), null on the last.
/// </summary>
public sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total)
{
    public bool TotalCapped { get; init; }

    public string? Next { get; init; }
}

public static class Paging
{
    /// <summary>Counting stops here: an exact count of a million rows on every request costs more than the page itself.</summary>
    public const int CountCap = 10_000;

    /// <summary>
    /// The requested page of <paramref name="query"/>, newest first by <paramref name="key"/> (a unique, increasing key
    /// such as an id), read through <paramref name="project"/>, with the capped total. Every list endpoint and page
    /// pages this way; an index on the filter's columns followed by the key makes each page a seek.
    /// </summary>
    public static async Task<Paged<T>> PageAsync<TRow, TKey, T>(this IQueryable<TRow> query, Expression<Func<TRow, TKey>> key, PageRequest? request,
        Func<IQueryable<TRow>, IQueryable<T>> project, Func<T, TKey> keyOf, CancellationToken ct, bool descending = true, int maxPageSize = PageRequest.MaxPageSize)
        where TKey : IComparable<TKey>
    {
        var paging = (request ?? new PageRequest()).Normalized(maxPageSize);
        var (total, capped) = await query.CountCappedAsync(ct);
        var rows = query;
        if (paging.After is { } after)
        {
            rows = rows.Where(Beyond(key, Parse<TKey>(after), descending));
        }

        var ordered = descending ? rows.OrderByDescending(key) : rows.OrderBy(key);
        var page = paging.After is null ? ordered.Skip((paging.Page - 1) * paging.PageSize) : ordered;
        // One more than asked says whether a next page exists without another query.
        var items = await project(page.Take(paging.PageSize + 1)).ToListAsync(ct);
        var more = items.Count > paging.PageSize;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new Paged<T>(items, paging.After is null ? paging.Page : 0, paging.PageSize, total)
        {
            TotalCapped = capped,
            Next = more ? Format(keyOf(items[^1])) : null,
        };
    }

    /// <summary>How many rows <paramref name="query"/> has, counted up to <see cref="CountCap"/>; Capped: there are more.</summary>
    public static async Task<(int Total, bool Capped)> CountCappedAsync<T>(this IQueryable<T> query, CancellationToken ct)
    {
        // In no order: the count needs any 10,001 rows, and an ORDER BY would pull the planner away from the filter's index.
        var counted = await query.Take(CountCap + 1).CountAsync(ct);
        return (Math.Min(counted, CountCap), counted > CountCap);
    }

    /// <summary>The table pager's text: "1-25 of 1234", or "1-25 of 10,000+" past the count's cap.</summary>
    public static string PagerInfo<T>(Paged<T> page) => page.TotalCapped ? $"{{first_item}}-{{last_item}} of {TotalText(page)}" : DefaultPagerInfo;

    public const string DefaultPagerInfo = "{first_item}-{last_item} of {all_items}";

    /// <summary>"1,234" or "10,000+".</summary>
    public static string TotalText<T>(Paged<T> page) => page.TotalCapped ? $"{CountCap:N0}+" : page.Total.ToString("N0", CultureInfo.InvariantCulture);

    private static Expression<Func<TRow, bool>> Beyond<TRow, TKey>(Expression<Func<TRow, TKey>> key, TKey after, bool descending)
    {
        var bound = Expression.Convert(Expression.Constant(new Box<TKey>(after)), typeof(Box<TKey>));
        var value = Expression.Property(bound, nameof(Box<TKey>.Value));
        Expression compare = typeof(TKey) == typeof(string)
            ? Expression.MakeBinary(descending ? ExpressionType.LessThan : ExpressionType.GreaterThan,
                Expression.Call(typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!, key.Body, value), Expression.Constant(0))
            : Expression.MakeBinary(descending ? ExpressionType.LessThan : ExpressionType.GreaterThan, key.Body, value);
        return Expression.Lambda<Func<TRow, bool>>(compare, key.Parameters);
    }

    /// <summary>Holds the cursor so EF sends it as a parameter, not a constant baked into a new query plan per page.</summary>
    private sealed record Box<TKey>(TKey Value);

    private static TKey Parse<TKey>(string cursor)
    {
        try
        {
            return (TKey)Convert.ChangeType(cursor, typeof(TKey), CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or InvalidCastException)
        {
            throw new InputException("after", "The cursor is not one this list gave out: pass a page's \"next\" as ?after=.");
        }
    }

    private static string Format<TKey>(TKey key) => Convert.ToString(key, CultureInfo.InvariantCulture) ?? "";
}
