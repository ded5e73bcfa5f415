-- Loaded into the Wireshark GUI: writes down what the GUI's own dissection holds for each
-- frame the plugin touched, so the check does not have to take tshark's word for it.
local report_path = os.getenv("TEARDOWN_GUI_REPORT")
if not report_path then return end
local report = assert(io.open(report_path, "w"))

local function say(...)
    report:write(table.concat({...}, "\t"), "\n")
    report:flush()
end

-- Field.new only succeeds if a loaded plugin registered the field.
local function field(name)
    local ok, f = pcall(Field.new, name)
    if not ok then say("missing-field", name) return nil end
    return f
end

local spurious = field("teardown.spurious_ack")
local provoked = field("teardown.provoked_rst")
local provoked_by = field("teardown.provoked_by")
local rst_cause = field("teardown.rst_cause")
-- Set only once the GUI has coloured the frame, so only on a later pass (a retap).
local coloring = field("frame.coloring_rule.name")
if not (spurious and provoked and provoked_by and rst_cause and coloring) then return end
say("plugin-fields")

local tap = Listener.new("frame", "teardown")

function tap.packet(pinfo)
    local verdict = spurious() and "spurious_ack" or provoked() and "provoked_rst" or "other"
    local link = provoked_by() and tostring(provoked_by().value) or "-"
    local rule = coloring() and tostring(coloring().value) or "-"
    local cause = rst_cause() and tostring(rst_cause().value) or "-"
    -- Only a pass that builds columns (a retap for a dialog) has the Info text.
    say("frame", pinfo.number, verdict, link, rule, tostring(pinfo.cols.info), cause)
end

-- Called once the GUI has read the whole capture, then after each retap.
function tap.draw()
    say("draw")
end
