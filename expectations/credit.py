"""The institution's current credit rating in check SQL (issue 12.6): its latest `credit_ratings` row,
the registry's rating before any (as tasks/credit.py, current_ratings). `{i}` is the institutions alias."""

CURRENT_RATING = ("COALESCE((SELECT cr.rating FROM credit_ratings cr WHERE cr.uscc = {i}.uscc "
                  "ORDER BY cr.id DESC LIMIT 1), {i}.rating)")
# Barred from subsidised training: the registry's 是否禁入, or rated D (山西 三(九), 苏州 (十八)/(十九))
BLACKLISTED = "({i}.blacklisted = $true OR " + CURRENT_RATING + " = 'D')"
