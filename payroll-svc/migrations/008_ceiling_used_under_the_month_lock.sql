-- The person's month locked, then what their payslips of the month used of the PMSS, in one round trip (it was
-- two, on the path of every payslip). A VOLATILE function takes a new snapshot for each statement it runs, so
-- the sum sees the payslips committed by whoever held the lock before: the same as two statements.
CREATE FUNCTION ceiling_used_under_month_lock(p_tenant text, p_member_id uuid, p_period date)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(
        hashtext('payroll-month:' || p_tenant || ':' || p_member_id::text || ':' || to_char(p_period, 'YYYY-MM'))
    );
    RETURN (
        SELECT coalesce(sum(ceiling_cents), 0) FROM payslips p
        WHERE tenant = p_tenant AND member_id = p_member_id AND period = p_period
          AND NOT EXISTS (SELECT FROM payslips c WHERE c.tenant = p.tenant AND c.corrects_payslip_id = p.payslip_id)
    );
END
$$;
