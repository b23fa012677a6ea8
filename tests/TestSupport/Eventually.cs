namespace Yurtnet.TestSupport;

/// <summary>Waits for a condition instead of sleeping a fixed time.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 25 ms for up to 10 s; returns whether it became true.</summary>
    public static async Task<bool> WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 400; i++)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(25);
        }

        return condition();
    }
}
