-- The register shows when a member was admitted and when they left (resignation or exclusion): the
-- `member_register` projection fills them from MemberAdmitted / MemberResigned / MemberExcluded.
ALTER TABLE member_register ADD COLUMN admitted_on date;
ALTER TABLE member_register ADD COLUMN left_on date;
