-- Argo CD health check for pg.slotkeeper.dev/v1alpha1 ReplicationSlot.
-- Follows kstatus: nothing counts until the operator has observed the current
-- generation; then Stalled (or an unacknowledged DataGap) needs a human and
-- Ready=True means the slot exists on the current primary.
-- Argo CD runs this without Lua's string library: base functions only.
local hs = {}

local function condition(t)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == t then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

-- The condition's message says what happened and what to do (it is also
-- what kubectl get shows); the reason stands in when there is no message.
-- Many messages already begin with their reason, so it is not prefixed.
local function describe(c, fallback)
  if c == nil then
    return fallback
  end
  if c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return c.reason or fallback
end

local ready = condition("Ready")

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  if ready ~= nil and ready.status ~= "True" then
    hs.message = "deleting: " .. describe(ready, "Deleting")
  else
    hs.message = "deleting: waiting for slotkeeper to drop or release the slot"
  end
  return hs
end

if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for slotkeeper to report status"
  return hs
end

local observed = obj.status.observedGeneration
if observed == nil or observed ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for slotkeeper to observe generation " .. tostring(obj.metadata.generation)
  if observed ~= nil then
    hs.message = hs.message .. " (status is for generation " .. tostring(observed) .. ")"
  end
  return hs
end

local stalled = condition("Stalled")
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
  return hs
end

-- The slot was recreated and its consumer missed changes: a human must
-- resynchronise the consumer and acknowledge the gap (the message says how).
local gap = condition("DataGap")
if isTrue(gap) then
  hs.status = "Degraded"
  hs.message = "DataGap: " .. describe(gap, "changes were never decoded")
  return hs
end

if isTrue(ready) then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
  return hs
end

hs.status = "Progressing"
local reconciling = condition("Reconciling")
if isTrue(reconciling) then
  hs.message = describe(reconciling, "Reconciling")
else
  hs.message = describe(ready, "Waiting for the Ready condition")
end
return hs
